"""Orders placed in the last two days, read from WeCom daily (the events carry them sooner)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from billing.services import orders_sync
from corps.models import Suite
from tokens.kinds import kind_of
from tokens.services import CredentialError
from wecom.client import WeComError

log = logging.getLogger(__name__)


@shared_task
def sync_app_orders() -> int:
    """Each suite that sells editions; one that cannot be read now (no ticket yet, WeCom down)
    is logged and the others go on."""
    now = timezone.now()
    synced = 0
    for suite in Suite.objects.select_related("provider"):
        if not kind_of(suite).sells_editions:
            continue
        try:
            synced += len(orders_sync(suite, start=now - timedelta(days=2), end=now))
        except (CredentialError, WeComError) as error:
            log.warning(
                "app orders not read", extra={"suite_id": suite.suite_id, "error": str(error)}
            )
    return synced
