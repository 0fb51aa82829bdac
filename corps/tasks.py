from __future__ import annotations

import logging

from celery import shared_task

from corps.selectors import suites_with_stale_tickets

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def flag_stale_suite_tickets() -> list[str]:
    """Raise the alarm for suites WeCom stopped pushing tickets to (a broken callback URL)."""
    stale = list(suites_with_stale_tickets())
    for suite in stale:
        log.warning(
            "suite_ticket is stale",
            extra={"suite_id": suite.suite_id, "ticket_age_seconds": suite.ticket_age()},
        )
    return [suite.suite_id for suite in stale]
