from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from corps.models import SUITE_TICKET_VALIDITY, AuthorizedCorp, Member, Suite


def member_by_any_id(corp: AuthorizedCorp, who: str) -> Member | None:
    """The corp's member named by userid or open_userid (WeCom's events and APIs use either)."""
    if not who:
        return None
    return Member.objects.filter(corp=corp).filter(Q(userid=who) | Q(open_userid=who)).first()


def suites_with_stale_tickets(now: datetime | None = None) -> QuerySet[Suite]:
    """Suites whose newest suite_ticket is older than its validity, or that never got one."""
    limit = (now or timezone.now()) - timedelta(seconds=SUITE_TICKET_VALIDITY)
    return Suite.objects.filter(Q(suite_ticket_at__isnull=True) | Q(suite_ticket_at__lt=limit))
