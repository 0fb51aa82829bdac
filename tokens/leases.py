"""A row-level lease: one process at a time does a slow thing (an upstream call) for a row,
without holding a database lock or transaction while it does.

A claim is one conditional UPDATE, so it is atomic on PostgreSQL and SQLite alike; a claim whose
holder died simply runs out. The row needs ``lease_until`` and ``lease_token`` fields.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet


def lease_claim(rows: QuerySet[Any], *, seconds: float) -> str | None:
    """Claim the lease of the row in ``rows``; its token, or None if another holds it."""
    token = secrets.token_hex(8)
    now = datetime.now(tz=UTC)
    claimed = rows.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(
        lease_until=now + timedelta(seconds=seconds), lease_token=token
    )
    return token if claimed else None


def lease_release(rows: QuerySet[Any], token: str, **fields: Any) -> bool:
    """Write ``fields`` and end the lease, if it is still ours; returns whether it was."""
    return bool(rows.filter(lease_token=token).update(lease_until=None, lease_token="", **fields))
