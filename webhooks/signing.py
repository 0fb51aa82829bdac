"""Standard Webhooks signatures (standardwebhooks.com): ``v1,<base64 HMAC-SHA256>`` over
``<webhook-id>.<webhook-timestamp>.<body>`` with the secret's bytes (``whsec_<base64>``).

Hand-written on purpose: it is a dozen lines, and the tests verify it with the
``standardwebhooks`` package, an implementation that is not ours."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secrets_in_use: list[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers; while a rotated-out secret overlaps, both signatures are sent
    (space-separated), so receivers holding either secret accept the message."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(s, msg_id, timestamp, body) for s in secrets_in_use
        ),
        "Content-Type": "application/json",
    }
