from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.conf import settings

from isvportal.logging import RedactingJsonFormatter, redact


def render(message: str, *args, **extra) -> dict:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return json.loads(RedactingJsonFormatter("%(message)s").format(record))


@pytest.mark.parametrize(
    "text",
    [
        "GET /cgi-bin/gettoken?corpid=ww1&corpsecret=SeCrEt123 failed",
        "url=/x?suite_access_token=SeCrEt123&code=1",
        "/oauth/callback/ww1/?code=SeCrEt123&state=abc",
        'body {"permanent_code": "SeCrEt123", "corpid": "ww1"}',
        "access_token%3DSeCrEt123",
    ],
)
def test_sensitive_values_are_masked(text):
    masked = redact(text)
    assert "SeCrEt123" not in masked
    assert "***" in masked


def test_harmless_values_are_kept():
    assert (
        redact("corpid=ww1&suite_id=ww2 errcode 40014") == "corpid=ww1&suite_id=ww2 errcode 40014"
    )


def test_records_render_as_one_json_object():
    out = render("installed %s", "ww1", corpid="wwcorp")
    assert out["message"] == "installed ww1"
    assert out["corpid"] == "wwcorp"


def test_a_sensitive_extra_is_masked_in_the_output():
    out = render("token refreshed", suite_secret="SeCrEt123", provider_secret='a "quoted" one')
    assert out["suite_secret"] == "***"
    assert out["provider_secret"] == "***"


def test_an_exception_text_is_masked_too():
    try:
        raise RuntimeError("failed with access_token=SeCrEt123")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "boom", (), exc_info=__import__("sys").exc_info()
        )
    text = RedactingJsonFormatter("%(message)s").format(record)
    assert "SeCrEt123" not in text
    assert "RuntimeError" in text


def test_the_root_handler_uses_the_redacting_formatter():
    config: dict[str, Any] = settings.LOGGING
    formatter = config["formatters"]["json"]["()"]
    assert formatter == "isvportal.logging.RedactingJsonFormatter"
    assert config["root"]["handlers"] == ["console"]
