from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from corps.models import AuthorizedCorp
from tokens.models import Credential

STUCK_AFTER = timedelta(minutes=10)  # a planned renewal that never ran is planned again


def credentials_due(*, now: datetime, horizon: timedelta) -> QuerySet[Credential]:
    """Credentials to renew before ``now + horizon`` that no renewal is already planned for,
    most urgent first. Cancelled corps have none to renew."""
    return (
        Credential.objects.filter(refresh_at__lt=now + horizon)
        .filter(
            Q(refresh_scheduled_for__isnull=True) | Q(refresh_scheduled_for__lt=now - STUCK_AFTER)
        )
        .exclude(corp__status=AuthorizedCorp.Status.CANCELLED)
        .order_by("refresh_at")
    )


def expiries(kind: str) -> dict[int, datetime | None]:
    """Owner primary key → expiry of its credential of ``kind``."""
    field = {"suite": "suite_id", "provider": "provider_id"}.get(kind, "corp_id")
    rows = Credential.objects.filter(kind=kind).values_list(field, "expires_at")
    return dict(rows)
