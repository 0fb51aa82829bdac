"""The callback's own reading of its query string gives what Django's ``request.GET`` gives."""

from __future__ import annotations

import io

import pytest
from django.core.handlers.wsgi import WSGIRequest
from hypothesis import given
from hypothesis import strategies as st

from callbacks.receive import Rejected, query_params

# Raw query bytes: separators, escapes good and bad, plus signs, UTF-8, GBK and stray bytes.
QUERY = st.lists(
    st.sampled_from(
        [b"a", b"b", b"msg_signature", b"=", b"&", b";", b"+", b"%", b"%2", b"%20", b"%2B",
         b"%26", b"%3D", b"%E4%B8%AD", b"%ZZ", b"\xe4\xb8\xad", b"\xd6\xd0", b"\xff", b" "]
    ),
    max_size=12,
).map(b"".join)  # fmt: skip


def request(query: bytes) -> WSGIRequest:
    return WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "QUERY_STRING": query.decode("iso-8859-1"),  # as a WSGI server passes the bytes
            "wsgi.input": io.BytesIO(),
        }
    )


@given(QUERY)
def test_every_query_reads_as_request_get_reads_it(query):
    expected = {name: values[-1] for name, values in request(query).GET.lists()}
    assert query_params(request(query)) == expected


def test_the_last_of_repeated_names_wins():
    assert query_params(request(b"nonce=1&nonce=2&&x")) == {"nonce": "2", "x": ""}


def test_past_the_field_limit_the_query_is_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    assert query_params(request(b"a=1&b=2&c=3")) == {"a": "1", "b": "2", "c": "3"}
    with pytest.raises(Rejected, match="too many query parameters"):
        query_params(request(b"a=1&b=2&c=3&d=4"))
