"""Webhook delivery runs in its own Celery queue (``webhooks``), so a slow receiver never holds
up callback processing or credential refresh."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from webhooks.services import deliver, due_deliveries, purge_old_messages, queue, requeue_stalled


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> bool:
    return deliver(delivery_id)


@shared_task(ignore_result=True)
def deliver_due_webhooks() -> int:
    """The retries that came due, first tries the broker lost, tries of workers that died."""
    now = timezone.now()
    requeue_stalled(now)
    due = due_deliveries(now)
    queue(due)
    return len(due)


@shared_task(ignore_result=True)
def purge_old_webhook_messages() -> int:
    """Delete finished messages older than WEBHOOK_RETENTION_DAYS."""
    return purge_old_messages(timezone.now())
