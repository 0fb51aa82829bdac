"""Bounds that every authentic WeCom value respects, checked before a value reaches storage.

A signed event is authentic, not necessarily sane: a forged or buggy sender with the token can
still put a NUL into an id, a 300-character corpid, or a department id past 32 bits. Such an
event is refused at the door (a 4xx WeCom does not retry), instead of failing in the database
(a 5xx it would retry for ever) or in a handler (an event failed for good).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from wecom.events import Event

ID_MAX_LENGTH = 64  # corpid, suite_id, userid, open_userid: WeCom's ids are at most 64 bytes
# Department, tag and agent ids and orders are 32-bit in WeCom (orders unsigned, up to 2**32).
INT_RANGE = (-(2**31), 2**32 - 1)
SMALL_FIELDS = frozenset({"gender", "status"})  # small enumerations
SMALL_RANGE = (0, 32767)
TIMESTAMP_FIELDS = frozenset({"timestamp", "create_time"})
ID_FIELDS = frozenset(
    {
        "suite_id",
        "auth_corpid",
        "corpid",
        "service_corpid",
        "userid",
        "open_userid",
        "new_userid",
        "from_user",
        "auth_userid",
        "template_id",
    }
)
ID_LIST_FIELDS = frozenset({"add_user_items", "del_user_items", "direct_leaders"})
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)


def plausible_id(value: str, *, max_length: int = ID_MAX_LENGTH) -> bool:
    """Printable, without spaces or control characters, and not longer than a WeCom id.

    Of all whitespace, only U+0020 is printable: every other kind fails ``isprintable``.
    """
    return 0 < len(value) <= max_length and value.isprintable() and " " not in value


def parse_timestamp(value: str) -> int | None:
    """A Unix timestamp in seconds written in ASCII digits, or None (too long, not a number)."""
    return int(value) if _TIMESTAMP.fullmatch(value) else None


def _ints(value: object) -> Iterable[int]:
    if isinstance(value, bool):
        return ()
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple):
        return (item for item in value if isinstance(item, int) and not isinstance(item, bool))
    return ()


def value_problem(name: str, value: object) -> str | None:
    """Why one parsed field cannot be genuine, or None."""
    if name in TIMESTAMP_FIELDS:
        return None  # checked against the clock by the receiver, which knows its tolerance
    if name in ID_FIELDS and isinstance(value, str) and value and not plausible_id(value):
        return f"{name} is not a plausible WeCom id"
    listed = value if name in ID_LIST_FIELDS and isinstance(value, tuple) else ()
    if not all(isinstance(item, str) and plausible_id(item) for item in listed):
        return f"{name} holds an implausible id"
    low, high = SMALL_RANGE if name in SMALL_FIELDS else INT_RANGE
    if any(not low <= number <= high for number in _ints(value)):
        return f"{name} is out of range"
    return None


_CHECKED_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _checked_fields(event_type: type[Event]) -> tuple[str, ...]:
    """The fields of an event type that ``value_problem`` has a rule for (not the raw mapping,
    not the timestamps); listed once per type."""
    names = _CHECKED_FIELDS.get(event_type)
    if names is None:
        skipped = {"fields", *TIMESTAMP_FIELDS}
        names = tuple(f.name for f in dataclasses.fields(event_type) if f.name not in skipped)
        _CHECKED_FIELDS[event_type] = names
    return names


def event_problem(event: Event) -> str | None:
    """The first field of a parsed event (a dataclass) that cannot be genuine, or None."""
    for name in _checked_fields(type(event)):
        value = getattr(event, name)
        # Absent, or text that is not an id: nothing to check (most of an event's fields).
        if value is None or (isinstance(value, str) and name not in ID_FIELDS):
            continue
        problem = value_problem(name, value)
        if problem:
            return problem
    return None
