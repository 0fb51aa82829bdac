"""Structured logs that never carry a secret.

Code here never logs a secret on purpose; this formatter is the net under that rule. It renders
each record as one JSON object and then masks the value of every sensitive key, whether it
appears as a query parameter (``access_token=…``), a JSON member (``"permanent_code": "…"``) or
a log ``extra``. The record itself is left untouched for other handlers.
"""

from __future__ import annotations

import logging
import re

from pythonjsonlogger.json import JsonFormatter

SENSITIVE_KEYS = (
    "access_token",
    "suite_access_token",
    "provider_access_token",
    "corpsecret",
    "secret",
    "suite_secret",
    "provider_secret",
    "encoding_aes_key",
    "aes_key",
    "permanent_code",
    "suite_ticket",
    "ticket",
    "jsapi_ticket",
    "pre_auth_code",
    "auth_code",
    "code",
    "user_ticket",
    "register_code",
    "token",
    "password",
    "api_key",
    "authorization",
    "cookie",
    "sessionid",
)
_KEYS = "|".join(sorted(SENSITIVE_KEYS, key=len, reverse=True))
# key=value in query strings and form bodies, also URL-encoded inside JSON strings.
_QUERY = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_KEYS})(=|%3D)[^&\s\"'\\]+")
# "key": "value" members of the rendered record, and of JSON quoted inside a message string.
_MEMBER = re.compile(rf'(?i)("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"')
_QUOTED_MEMBER = re.compile(rf'(?i)(\\"(?:{_KEYS})\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\"')
MASK = "***"


def redact(text: str) -> str:
    text = _QUERY.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _MEMBER.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    return _QUOTED_MEMBER.sub(lambda m: f'{m.group(1)}\\"{MASK}\\"', text)


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
