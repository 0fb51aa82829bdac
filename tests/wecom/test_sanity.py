"""wecom/sanity.py: which ids are plausible."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wecom.sanity import ID_MAX_LENGTH, plausible_id


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        ("wwcorp01", True),
        ("张三", True),
        ("a" * ID_MAX_LENGTH, True),
        ("", False),
        ("a" * (ID_MAX_LENGTH + 1), False),
        ("ww corp", False),
        ("ww\tcorp", False),
        ("ww\u3000corp", False),  # the ideographic space
        ("ww\u00a0corp", False),
        ("ww\x00corp", False),
        ("ww\u200bcorp", False),  # a zero-width space: a format character
    ],
)
def test_an_id_is_printable_without_whitespace_and_short(value: str, plausible: bool) -> None:
    assert plausible_id(value) is plausible


@given(st.text(max_size=ID_MAX_LENGTH + 2))
def test_no_whitespace_of_any_kind_passes(value: str) -> None:
    expected = (
        0 < len(value) <= ID_MAX_LENGTH
        and value.isprintable()
        and not any(c.isspace() for c in value)
    )
    assert plausible_id(value) is expected
