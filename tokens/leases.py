"""A row-level lease: one process at a time does a slow thing (an upstream call) for a row,
without holding a database lock or transaction while it does.

A claim is one conditional UPDATE, so it is atomic on PostgreSQL and SQLite alike; the holder
keeps it alive while it works (``lease_kept``), and the claim of a holder that died runs out
within LEASE_SECONDS. The row needs ``lease_until`` and ``lease_token`` fields.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, connections
from django.db.models import Q, QuerySet

LEASE_SECONDS = 15.0


def lease_claim(rows: QuerySet[Any], *, seconds: float, seen: Any = None) -> str | None:
    """Claim the lease of the row in ``rows``; its token, or None if another holds it.

    ``seen`` is the row as the caller just read it: if it shows a lease that has not run out,
    no claim is tried, so a crowd of waiters polling the row only reads it. A claim is an
    UPDATE: on SQLite it queues for the one write lock that the holder needs to store its
    answer, on PostgreSQL it locks the row the holder's lease beat updates. A stale look costs
    one more poll; the UPDATE stays the only arbiter of who holds the lease.
    """
    now = datetime.now(tz=UTC)
    if seen is not None and seen.lease_until is not None and seen.lease_until >= now:
        return None
    token = secrets.token_hex(8)
    claimed = rows.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(
        lease_until=now + timedelta(seconds=seconds), lease_token=token
    )
    return token if claimed else None


def lease_release(rows: QuerySet[Any], token: str, **fields: Any) -> bool:
    """Write ``fields`` and end the lease, if it is still ours; returns whether it was."""
    return bool(rows.filter(lease_token=token).update(lease_until=None, lease_token="", **fields))


@contextmanager
def lease_kept(rows: QuerySet[Any], token: str, *, seconds: float) -> Iterator[None]:
    """Extend the lease every third of its length while the block runs.

    So a lease can be short, and a holder that dies frees it within ``seconds``, yet last as
    long as a slow upstream call with its retries. The beat runs in a thread of its own, with a
    database connection of its own, closed when the block ends.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(seconds / 3):
                until = datetime.now(tz=UTC) + timedelta(seconds=seconds)
                rows.filter(lease_token=token).update(lease_until=until)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name="lease-beat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def pooled_connection_returned() -> None:
    """Give this thread's pooled database connection back before it waits (with
    DATABASE_POOL), so that a crowd of waiters does not hold the whole pool while one of them
    fetches. A connection without a pool, or inside a transaction, is kept."""
    if getattr(connection, "pool", None) is not None and not connection.in_atomic_block:
        connection.close()
