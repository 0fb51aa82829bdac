from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


@pytest.fixture
def event_xml():
    """Load a captured event: ``event_xml("create_auth__market")``."""
    return lambda name: fixture_text(f"events/{name}.xml")


@pytest.fixture
def make_sandbox():
    """Start sandboxes that push to the given portal URL; all are stopped after the test."""
    from contextlib import ExitStack

    from sandbox.testing import running_sandbox

    with ExitStack() as stack:
        yield lambda portal="http://127.0.0.1:9", **overrides: stack.enter_context(
            running_sandbox(portal, **overrides)
        )
