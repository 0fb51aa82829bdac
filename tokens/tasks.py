"""Proactive renewal (Celery beat runs ``refresh_due_credentials`` every minute)."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tokens.models import Credential
from tokens.planning import WINDOW, plan_refreshes
from tokens.selectors import credentials_due
from tokens.services import CorpCancelledError, credential_refresh_by_key
from wecom.client.errors import WeComError

log = logging.getLogger(__name__)
MAX_BACKOFF = 600


@shared_task(acks_late=True, ignore_result=True)
def refresh_due_credentials() -> int:
    """Plan the next minute of renewals and enqueue each at its time."""
    now = timezone.now()
    due = credentials_due(now=now, horizon=WINDOW).values_list("pk", "key", "refresh_at")
    rows = list(due[: settings.TOKEN_REFRESH_PER_MINUTE * 2])
    pks = {key: pk for pk, key, _ in rows}
    plan = plan_refreshes(
        ((key, at) for _, key, at in rows if at is not None),
        now=now,
        per_minute=settings.TOKEN_REFRESH_PER_MINUTE,
    )
    Credential.objects.bulk_update(
        [Credential(pk=pks[key], refresh_scheduled_for=eta) for key, eta in plan.scheduled],
        ["refresh_scheduled_for"],
        batch_size=500,
    )
    for key, eta in plan.scheduled:
        refresh_credential.apply_async(args=(key,), eta=eta)
    if plan.deferred:
        log.info(
            "credential renewals deferred to stay under the rate limit",
            extra={"deferred": plan.deferred},
        )
    return len(plan.scheduled)


def backoff(retries: int) -> float:
    """Exponential with full jitter, so failing corps do not retry in lockstep."""
    return random.uniform(0, min(MAX_BACKOFF, 10 * 2**retries))  # noqa: S311


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def refresh_credential(self, key: str) -> None:
    try:
        credential_refresh_by_key(key)
    except (Credential.DoesNotExist, CorpCancelledError):
        return  # the corp cancelled meanwhile: nothing to renew
    except WeComError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from None


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def sync_corp_contacts(self, corp_id: int) -> None:
    """A new install's contacts, pulled into the mirror (change_contact keeps them current)."""
    from corps.models import AuthorizedCorp
    from tokens.authorization import corp_contacts_sync

    corp = AuthorizedCorp.objects.filter(pk=corp_id, status=AuthorizedCorp.Status.ACTIVE).first()
    if corp is None:
        return
    try:
        corp_contacts_sync(corp=corp)
    except WeComError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from None
