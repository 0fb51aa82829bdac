"""Which credentials to renew in the next minute, and when exactly.

Each credential already carries its own jittered renewal time (70–85% of its lifetime), which
spreads thousands of corps across the hour. The plan keeps each renewal at that time, spreads
overdue ones evenly across the minute, and never schedules more than ``per_minute`` calls in
the minute; what does not fit waits for the next run, most urgent first. Linear in the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Plan:
    scheduled: list[tuple[str, datetime]]
    deferred: int


def plan_refreshes(due: Iterable[tuple[str, datetime]], *, now: datetime, per_minute: int) -> Plan:
    """``due``: (key, renew-at) pairs ordered by renew-at, all before ``now + WINDOW``."""
    if per_minute < 1:
        raise ValueError("per_minute must be at least 1")
    overdue: list[str] = []
    scheduled: list[tuple[str, datetime]] = []
    deferred = 0
    for key, renew_at in due:
        if len(overdue) + len(scheduled) >= per_minute:
            deferred += 1
        elif renew_at <= now:
            overdue.append(key)
        else:
            scheduled.append((key, renew_at))
    # Overdue renewals share the minute evenly instead of all going out at once.
    step = WINDOW / max(len(overdue), 1)
    spread = [(key, now + step * position) for position, key in enumerate(overdue)]
    return Plan(scheduled=spread + scheduled, deferred=deferred)
