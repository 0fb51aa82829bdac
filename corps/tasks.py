from __future__ import annotations

import logging

from celery import shared_task

from corps.models import Suite
from corps.selectors import suites_with_stale_tickets
from corps.signals import platform_event

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def flag_stale_suite_tickets() -> list[str]:
    """Raise the alarm for suites WeCom stopped pushing tickets to (a broken callback URL)."""
    stale = list(suites_with_stale_tickets().select_related("provider"))
    for suite in stale:
        age = suite.ticket_age()
        log.warning(
            "suite_ticket is stale", extra={"suite_id": suite.suite_id, "ticket_age_seconds": age}
        )
        stamp = suite.suite_ticket_at.isoformat() if suite.suite_ticket_at else "never"
        platform_event.send(
            sender=Suite,
            type="credential.alarm",
            provider=suite.provider,
            suite=suite,
            corpid="",
            data={"credential": "suite_ticket", "reason": "stale",
                  "ticket_age_seconds": None if age is None else int(age)},
            key=f"credential.alarm:suite_ticket:{suite.pk}:{stamp}",  # once per stale ticket
        )  # fmt: skip
    return [suite.suite_id for suite in stale]
