"""What the console's front page shows: counts, alarms, and 30 days of installs and callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from callbacks.models import CallbackEvent
from console.scope import Scope
from corps.models import AuthorizedCorp
from corps.selectors import suites_with_stale_tickets
from licenses.models import ActiveCode, CorpLicense, UnlicensedAttempt
from tokens.models import AuthCodeExchange, Credential
from webhooks.models import Endpoint

DAYS = 30


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    height: float  # 0..100, relative to the series' maximum


def _daily(counts: dict[date, int], today: date) -> list[Bar]:
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    peak = max([counts.get(d, 0) for d in days] + [1])
    return [Bar(d, counts.get(d, 0), 100 * counts.get(d, 0) / peak) for d in days]


def _per_day(queryset: Any, field: str, since: Any) -> dict[date, int]:
    rows = (
        queryset.filter(**{f"{field}__gte": since})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return dict(rows)


def licences(scope: Scope, now: datetime) -> dict[str, Any]:
    """Trials ending and accounts expiring within 30 days, and who was refused this week."""
    soon = now + timedelta(days=DAYS)
    trials = CorpLicense.objects.filter(
        trial_end__gt=now, trial_end__lte=soon, corp__status=AuthorizedCorp.Status.ACTIVE
    )
    expiring = ActiveCode.objects.filter(
        status=ActiveCode.Status.BOUND, expires_at__gt=now, expires_at__lte=soon
    )
    refused = UnlicensedAttempt.objects.filter(at__gte=now - timedelta(days=7))
    return {
        "trials_ending": list(
            scope.narrow(trials).select_related("corp").order_by("trial_end")[:10]
        ),
        "codes_expiring": list(
            scope.narrow(expiring).values("corpid").annotate(n=Count("pk")).order_by("-n")[:10]
        ),
        "unlicensed_this_week": scope.narrow(refused).values("corp", "userid").distinct().count(),
    }


def dashboard(scope: Scope) -> dict[str, Any]:
    """The front page's figures, within the staff member's scope."""
    now = timezone.now()
    today = timezone.localdate(now)
    since = now - timedelta(days=DAYS)
    corps = scope.narrow(AuthorizedCorp.objects.all()).aggregate(
        active=Count("pk", filter=Q(status=AuthorizedCorp.Status.ACTIVE)),
        cancelled=Count("pk", filter=Q(status=AuthorizedCorp.Status.CANCELLED)),
        installs_this_week=Count("pk", filter=Q(installed_at__gte=now - timedelta(days=7))),
    )
    events = scope.narrow(CallbackEvent.objects.all())
    failing = scope.narrow(Credential.objects.filter(failures__gt=0)).select_related(
        "corp", "suite", "provider"
    )
    return {
        "counts": corps,
        "events_today": events.filter(received_at__gte=now - timedelta(days=1)).count(),
        "stale_suites": list(scope.narrow(suites_with_stale_tickets(now)).order_by("suite_id")),
        "failing_credentials": list(failing.order_by("-failures")[:10]),
        "failing_credentials_total": failing.count(),
        "failed_events": events.filter(status=CallbackEvent.Status.FAILED).count(),
        "lost_installs": list(
            scope.narrow(AuthCodeExchange.objects.filter(status=AuthCodeExchange.Status.LOST))
            .select_related("suite")
            .order_by("-created_at")[:10]
        ),
        "installs_chart": _daily(
            _per_day(scope.narrow(AuthorizedCorp.objects.all()), "installed_at", since), today
        ),
        "events_chart": _daily(_per_day(events, "received_at", since), today),
        "licences": licences(scope, now),
        "webhooks_disabled": list(
            scope.narrow(
                Endpoint.objects.filter(enabled=False).exclude(disabled_reason="")
            ).order_by("pk")[:10]
        ),
        "edition_trials_ending": list(
            scope.narrow(
                AuthorizedCorp.objects.filter(
                    status=AuthorizedCorp.Status.ACTIVE,
                    app_status=1,
                    edition_expires_at__gt=now,
                    edition_expires_at__lte=now + timedelta(days=7),
                )
            ).order_by("edition_expires_at")[:10]
        ),
    }
