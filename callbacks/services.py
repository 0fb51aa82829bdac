"""Store, process and replay callback events."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.dispatch import dispatcher
from callbacks.handlers import HANDLERS
from callbacks.models import CallbackEvent
from callbacks.receive import CallbackURL, Received
from callbacks.signals import event_processed
from callbacks.store import group_commit
from wecom.events import parse_event

log = logging.getLogger(__name__)
Status = CallbackEvent.Status


def claim_expired_before(now: datetime) -> datetime:
    """A claim older than CALLBACK_CLAIM_LEASE belongs to a worker that died."""
    return now - timedelta(seconds=settings.CALLBACK_CLAIM_LEASE)


def _corpid_of(received: Received) -> str:
    fields = received.event.fields
    return str(
        fields.get("AuthCorpId") or (fields.get("ToUserName") if "MsgType" in fields else "")
    )


def event_store(*, url: CallbackURL, received: Received) -> tuple[int, bool]:
    """Write the event before it is acknowledged; returns (event id, created). A redelivery
    (same dedupe key) returns the stored row's id and schedules nothing.

    One INSERT in autocommit, shared with the callbacks of this process that arrive at the same
    time (callbacks/store.py): the row is committed when this returns.
    """
    event = received.event
    ignored = type(event) not in HANDLERS  # a parser added without a handler: kept, not run
    event_id, created = group_commit.insert(
        {
            "receiver": url.receiver,
            "suite_id": url.suite.pk if url.suite else None,
            "provider_id": url.provider.pk if url.provider else None,
            "corpid": _corpid_of(received),  # the row's corp is looked up by it
            "kind": event.kind[:64],
            "change_type": str(event.fields.get("ChangeType", ""))[:32],
            "dedupe_key": received.dedupe_key,
            "envelope": received.envelope,
            "xml": received.xml,
            "status": Status.IGNORED if ignored else Status.RECEIVED,
            "received_at": timezone.now(),
        }
    )
    if not created:
        return event_id, False
    if not ignored:
        # After the commit, and robust: a broker outage must not undo the acknowledgement.
        transaction.on_commit(lambda: dispatcher.submit(event_id), robust=True)
    return event_id, True


def _claim(event_id: int, now: datetime) -> bool:
    claimable = Q(status__in=[Status.RECEIVED, Status.FAILED]) | Q(
        status=Status.PROCESSING, claimed_at__lt=claim_expired_before(now)
    )
    return (
        CallbackEvent.objects.filter(pk=event_id)
        .filter(claimable)
        .update(status=Status.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _finish(event_id: int, claimed_at: datetime, **fields: object) -> bool:
    """Record the outcome, if the claim is still ours: a worker whose lease ran out (and whose
    event another worker claimed since) must not overwrite that worker's result."""
    mine = CallbackEvent.objects.filter(
        pk=event_id, status=Status.PROCESSING, claimed_at=claimed_at
    ).update(**fields)
    if not mine:
        log.warning("callback claim lost", extra={"event_id": event_id})
    return bool(mine)


def event_process(*, event_id: int) -> bool:
    """Run the event's handler once it is claimed; returns whether this call processed it.

    The claim is a conditional UPDATE, so two deliveries of the task cannot both run it; the
    claim of a worker that died expires after CALLBACK_CLAIM_LEASE. Failures are recorded on the
    row (with the traceback) and raised.
    """
    claimed_at = timezone.now()
    if not _claim(event_id, claimed_at):
        return False
    record = CallbackEvent.objects.select_related("suite", "provider", "corp").get(pk=event_id)
    try:
        event = parse_event(record.xml)
        HANDLERS[type(event)](record, event)
        event_processed.send(sender=CallbackEvent, event=event, record=record)
    except Exception as exc:
        _finish(
            event_id,
            claimed_at,
            status=Status.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback=traceback.format_exc()[-8000:],
        )
        log.warning(
            "callback event failed",
            extra={"event_id": event_id, "kind": record.kind, "error": type(exc).__name__},
        )
        raise
    return _finish(
        event_id,
        claimed_at,
        status=Status.PROCESSED,
        processed_at=timezone.now(),
        last_error="",
        traceback="",
    )


class EventBusyError(Exception):
    """The event is being processed right now; replaying it could run its handler twice."""


def event_replay(*, event: CallbackEvent) -> None:
    """Process a stored event again (console action). Handlers are idempotent, but an event a
    worker is processing right now (its claim still valid) is refused."""
    now = timezone.now()
    replayable = ~Q(status=Status.PROCESSING) | Q(claimed_at__lt=claim_expired_before(now))
    reset = (
        CallbackEvent.objects.filter(pk=event.pk)
        .filter(replayable)
        .update(status=Status.RECEIVED, claimed_at=None)
    )
    if not reset:
        raise EventBusyError(_("Event %(id)s is being processed right now.") % {"id": event.pk})
    transaction.on_commit(lambda: dispatcher.submit(event.pk), robust=True)
