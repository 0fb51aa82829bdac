"""RefuseControlCharactersMiddleware reads the raw query string: it must refuse exactly the
queries whose decoded keys or values hold a control character."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from isvportal.middleware import _CONTROL_CHARACTER, _CONTROL_CHARACTER_IN_QUERY


@pytest.mark.parametrize(
    "query",
    ["a=%00", "a=%1f", "a=%1F", "a=%7f", "a=%7F", "a%0A=1", "a=1&b=x%0d%0aSet-Cookie", "a=\x01"],
)
def test_a_control_character_in_the_query_is_a_400(client, query):
    response = client.get("/healthz/live", QUERY_STRING=query)
    assert response.status_code == 400
    assert "control character" in response.content.decode()


@pytest.mark.parametrize("query", ["a=%250A", "a=%20b+c", "a=%e4%b8%ad", "a=%80%ff", "a=%", "a=%1"])
def test_text_that_only_looks_like_a_control_character_passes(client, query):
    assert client.get("/healthz/live", QUERY_STRING=query).status_code == 200


def test_a_control_character_in_the_path_is_a_400(client):
    assert client.get("/healthz/live%00").status_code == 400


# Pieces that combine into escapes, broken escapes and escaped escapes ("%25" + "0a").
PIECES = ["%", "%0", "%1", "%7", "%25", "%e4", "0", "1", "7", "a", "f", "F", "=", "&", "+", ";",
          "\x00", "\x1f", "\x7f", "\x85", "é", "中"]  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_the_raw_check_agrees_with_the_decoded_parameters(query):
    """Whatever the query string, it is refused exactly when ``request.GET`` (Django's own
    decoding, keys and values) holds a control character."""
    wsgi_query = query.encode().decode("iso-8859-1")  # as a WSGI server passes it on
    request = RequestFactory().get("/healthz/live", QUERY_STRING=wsgi_query)
    decoded = [text for key, values in request.GET.lists() for text in (key, *values)]
    refused = any(_CONTROL_CHARACTER.search(text) for text in decoded)
    assert bool(_CONTROL_CHARACTER_IN_QUERY.search(wsgi_query)) is refused
