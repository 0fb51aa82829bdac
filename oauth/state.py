"""OAuth ``state``, bound to the browser session: 128 random bits, single use, ten minutes.

One service for the install flow, SSO and the provider login (allauth's statekit shape): a
state is stored in the session with its purpose and data, and consuming it removes it, so a
replayed, forged, expired or foreign state is refused the same way.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

STATE_LIFETIME = 600  # seconds
MAX_PENDING = 8  # per session; the oldest goes first
_KEY = "oauth_states"


class StateError(ValueError):
    """The state is missing, unknown (forged, replayed, another session's), expired, or was
    issued for another purpose."""


def state_issue(session: SessionBase, purpose: str, **data: Any) -> str:
    # Hex: WeCom accepts [a-zA-Z0-9] only in state.
    state = secrets.token_hex(16)
    pending: dict[str, dict[str, Any]] = dict(session.get(_KEY, {}))
    pending[state] = {"purpose": purpose, "expires": time.time() + STATE_LIFETIME, **data}
    while len(pending) > MAX_PENDING:
        pending.pop(min(pending, key=lambda s: pending[s]["expires"]))
    session[_KEY] = pending
    return state


def state_consume(session: SessionBase, purpose: str, state: str | None) -> dict[str, Any]:
    """The data stored with ``state``; the state is used up either way."""
    pending: dict[str, dict[str, Any]] = dict(session.get(_KEY, {}))
    entry = pending.pop(state or "", None)
    session[_KEY] = pending
    if entry is None:
        raise StateError("missing, unknown or already used")
    if entry["purpose"] != purpose:
        raise StateError("issued for another purpose")
    if entry["expires"] <= time.time():
        raise StateError("expired")
    return {k: v for k, v in entry.items() if k not in ("purpose", "expires")}
