"""JS-SDK signatures for wx.config / wx.agentConfig (API.md §5).

``sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")`` in this fixed order, no URL-encoding,
over the page URL without its fragment. The corp ticket signs wx.config; the agent_config
ticket signs wx.agentConfig.
"""

from __future__ import annotations

import hashlib
import secrets
import string

_NONCE_ALPHABET = string.ascii_letters + string.digits


def page_url(url: str) -> str:
    """The URL as signed: everything before the first ``#``."""
    return url.split("#", 1)[0]


def nonce(length: int = 16) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def sign(*, ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page_url(url)}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()
