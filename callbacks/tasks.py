from __future__ import annotations

import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from callbacks.models import CallbackEvent
from callbacks.services import claim_expired_before, event_process
from tokens.authorization import InstallAnswerLostError
from tokens.services import CorpCancelledError
from tokens.tasks import backoff
from wecom.client.errors import InvalidCodeError, NoPrivilegeError
from wecom.xml import MalformedXML

Status = CallbackEvent.Status
# Retrying cannot help these; the row keeps the error and the console can replay it.
PERMANENT = (
    InvalidCodeError,
    NoPrivilegeError,
    CorpCancelledError,
    MalformedXML,
    InstallAnswerLostError,
)


# How long one dispatch_events task processes events before it hands the rest on: far inside
# CELERY_TASK_SOFT_TIME_LIMIT, however slow WeCom answers the handlers.
BATCH_BUDGET = 10.0


def _attempt(event_id: int) -> None:
    """Process the event once. A permanent failure stays on the row for the console; any other
    failure is raised for a retry."""
    try:
        event_process(event_id=event_id)
    except PERMANENT:
        return


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)
def process_event(self, event_id: int) -> None:
    try:
        _attempt(event_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from None


@shared_task(acks_late=True, ignore_result=True)
def dispatch_events(event_ids: list[int]) -> None:
    """A batch handed over by the web process, processed here one event after another: one
    broker round trip per batch, not per event (bench/storm.py). An event that fails gets a
    process_event task of its own, retried with backoff; after BATCH_BUDGET seconds the rest
    goes out as a new batch. If the worker dies mid-batch, the events not finished are enqueued
    again by the sweeper or the broker's redelivery (late ack); the claim keeps each to one run."""
    deadline = time.monotonic() + BATCH_BUDGET
    for index, event_id in enumerate(event_ids):
        if time.monotonic() > deadline:
            dispatch_events.delay(event_ids[index:])
            return
        try:
            _attempt(event_id)
        except Exception:
            process_event.apply_async((event_id,), countdown=backoff(0))


@shared_task(ignore_result=True)
def requeue_stalled_events() -> int:
    """Events stored while the broker was down, or claimed by a worker that died."""
    now = timezone.now()
    stalled = CallbackEvent.objects.filter(
        Q(status=Status.RECEIVED, received_at__lt=now - timedelta(minutes=1))
        | Q(status=Status.PROCESSING, claimed_at__lt=claim_expired_before(now))
    ).values_list("pk", flat=True)[:1000]
    pks = list(stalled)
    for pk in pks:
        process_event.delay(pk)
    return len(pks)


@shared_task(ignore_result=True)
def purge_old_events() -> int:
    """Delete processed and ignored events older than CALLBACK_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.CALLBACK_RETENTION_DAYS)
    deleted, _ = CallbackEvent.objects.filter(
        status__in=[Status.PROCESSED, Status.IGNORED], received_at__lt=cutoff
    ).delete()
    return deleted
