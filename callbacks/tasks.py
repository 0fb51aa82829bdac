from __future__ import annotations

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


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)
def process_event(self, event_id: int) -> None:
    try:
        event_process(event_id=event_id)
    except PERMANENT:
        return
    except Exception as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from None


@shared_task(acks_late=True, ignore_result=True)
def dispatch_events(event_ids: list[int]) -> None:
    """A batch handed over by the web process: one task per event, each retried on its own."""
    for event_id in event_ids:
        process_event.delay(event_id)


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
