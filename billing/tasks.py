"""Orders placed in the last two days, read from WeCom daily (the events carry them sooner)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from billing.services import orders_sync
from corps.models import Suite


@shared_task
def sync_app_orders() -> int:
    now = timezone.now()
    synced = 0
    for suite in Suite.objects.select_related("provider"):
        synced += len(orders_sync(suite, start=now - timedelta(days=2), end=now))
    return synced
