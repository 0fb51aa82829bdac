"""JS-SDK signatures for wx.config / wx.agentConfig (API.md §5).

``sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")`` in this fixed order, no URL-encoding,
over the page URL without its fragment. The corp ticket signs wx.config; the agent_config
ticket signs wx.agentConfig.
"""

from __future__ import annotations

import hashlib
import secrets


def page_url(url: str) -> str:
    """The URL as signed: everything before the first ``#``."""
    return url.split("#", 1)[0]


def nonce() -> str:
    """16 hex digits (alphanumeric, 64 random bits) from one read of the OS's randomness:
    choosing 16 characters one at a time took 22 µs, twice per JS-SDK request."""
    return secrets.token_hex(8)


def sign(*, ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page_url(url)}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()
