"""Publishing the platform's events to the ISV's endpoints, and delivering them: at least once,
signed, retried with backoff and jitter for more than a day, one Attempt row per try."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.models import Provider, Suite
from tokens.refusals import Refused
from webhooks import guard, signing
from webhooks.models import Attempt, Delivery, Endpoint, Message

log = logging.getLogger(__name__)
EXCERPT_CHARS = 1000


# --- endpoints -----------------------------------------------------------------------------


def url_check(url: str, *, internal: bool) -> None:
    if reason := guard.url_refusal(url, internal=internal):
        raise Refused(
            400, _("Webhooks cannot go to this URL: %(reason)s.") % {"reason": reason},
            "url_refused",
        )  # fmt: skip


def endpoint_create(
    *,
    provider: Provider,
    url: str,
    description: str = "",
    event_types: Iterable[str] = (),
    suites: Iterable[Suite] = (),
    enabled: bool = True,
    internal: bool = False,
) -> tuple[Endpoint, str]:
    """A new endpoint and its secret (returned once; only its encryption is kept)."""
    url_check(url, internal=internal)
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            provider=provider, url=url, description=description, event_types=list(event_types),
            enabled=enabled, internal=internal, secret=secret,
        )  # fmt: skip
        endpoint.suites.set(list(suites))
    return endpoint, secret


def endpoint_enable(endpoint: Endpoint, enabled: bool) -> None:
    """Enabling forgets the failures that disabled it; what it missed can be replayed."""
    endpoint.enabled = enabled
    if enabled:
        endpoint.failing_since, endpoint.disabled_reason = None, ""
    endpoint.save(update_fields=["enabled", "failing_since", "disabled_reason", "updated_at"])


def secret_rotate(endpoint: Endpoint) -> str:
    """A new secret; the old one keeps signing too for WEBHOOK_SECRET_OVERLAP_HOURS, so the
    receiver can switch without losing a message."""
    new = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = new
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return new


def secrets_in_use(endpoint: Endpoint, now: datetime) -> list[str]:
    overlap = endpoint.previous_secret_until
    previous = [endpoint.previous_secret] if overlap and overlap > now else []
    return [endpoint.secret, *[s for s in previous if s]]


# --- publishing ----------------------------------------------------------------------------


def message_id(key: str) -> str:
    """Stable for a stable key (an event processed twice is one message), else random."""
    if key:
        return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:26]
    return "msg_" + secrets.token_hex(13)


def publish(
    *,
    provider: Provider,
    type: str,
    data: dict[str, Any],
    suite: Suite | None = None,
    corpid: str = "",
    key: str = "",
) -> Message:
    """Store the message and a delivery for each enabled endpoint that wants it; the first tries
    are queued when the transaction commits. Publishing the same key again changes nothing."""
    msg_id = message_id(key)
    now = timezone.now()
    with transaction.atomic():
        existing = Message.objects.filter(msg_id=msg_id).first()
        if existing is not None:
            return existing
        body = {"id": msg_id, "type": type, "timestamp": now.isoformat(),
                "suite_id": suite.suite_id if suite else None, "corpid": corpid or None,
                "data": data}  # fmt: skip
        message = Message.objects.create(
            msg_id=msg_id, provider=provider, suite=suite, type=type, corpid=corpid,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str),
            created_at=now,
        )  # fmt: skip
        deliveries = Delivery.objects.bulk_create(
            Delivery(message=message, endpoint=endpoint, next_try_at=now)
            for endpoint in endpoints_for(provider, suite, type)
        )
        ids = [d.pk for d in deliveries]  # bulk_create returns them on PostgreSQL and SQLite
        transaction.on_commit(lambda: queue(ids), robust=True)
    return message


def endpoints_for(provider: Provider, suite: Suite | None, type: str) -> list[Endpoint]:
    suites = Q(suites=None) | (Q(suites=suite) if suite is not None else Q())
    found = Endpoint.objects.filter(suites, provider=provider, enabled=True).distinct()
    return [endpoint for endpoint in found if endpoint.wants(type)]


def queue(delivery_ids: Iterable[int]) -> None:
    from webhooks.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)


# --- delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    ok: bool
    http_status: int | None = None
    error: str = ""
    excerpt: str = ""


_sessions = threading.local()


def _session(internal: bool) -> requests.Session:
    """This thread's session of the kind (kept, so a busy receiver's connection is reused)."""
    held: dict[bool, requests.Session] = _sessions.__dict__.setdefault("by_kind", {})
    if internal not in held:
        held[internal] = guard.session(internal=internal)
    return held[internal]


def post(endpoint: Endpoint, body: str, headers: dict[str, str]) -> Answer:
    """One POST, redirects not followed, the answer read up to WEBHOOK_RESPONSE_CAP bytes."""
    http = _session(endpoint.internal)
    try:
        with http.post(
            endpoint.url, data=body.encode(), headers=headers, stream=True,
            timeout=settings.WEBHOOK_TIMEOUT, allow_redirects=False,
        ) as response:  # fmt: skip
            content = b""
            for chunk in response.iter_content(8192):
                content += chunk
                if len(content) >= settings.WEBHOOK_RESPONSE_CAP:
                    break
            excerpt = content[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]
            return Answer(200 <= response.status_code < 300, response.status_code, "", excerpt)
    except requests.RequestException as error:
        refusal = guard.refused(error)
        return Answer(False, error=str(refusal) if refusal else type(error).__name__)


def next_delay(tries: int) -> float | None:
    """Seconds until the next try after ``tries`` failed ones (±20% jitter, so a recovering
    receiver is not hit by every message at once); None when the schedule is spent."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if tries >= len(schedule):
        return None
    return float(schedule[tries]) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def deliver(delivery_id: int) -> bool:
    """Try a due delivery once; returns whether the endpoint accepted it. The claim is a
    conditional UPDATE, so two workers never send the same try."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_try_at__lte=now
    ).update(status=Delivery.Status.SENDING, claimed_at=now)
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("message", "endpoint").get(pk=delivery_id)
    endpoint, message = delivery.endpoint, delivery.message
    if not endpoint.enabled:  # paused: replayed once the endpoint is enabled again
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.PENDING, next_try_at=None
        )
        return False
    stamp = int(time.time())
    headers = signing.headers(secrets_in_use(endpoint, now), message.msg_id, stamp, message.body)
    started = time.perf_counter()
    answer = post(endpoint, message.body, headers)
    latency = round((time.perf_counter() - started) * 1000)
    tries = delivery.tries + 1
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery, ok=answer.ok, http_status=answer.http_status,
            error=answer.error[:255], latency_ms=latency, response_excerpt=answer.excerpt,
        )  # fmt: skip
        if answer.ok:
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.DELIVERED, tries=tries, delivered_at=timezone.now(),
                next_try_at=None,
            )  # fmt: skip
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            return True
        delay = next_delay(tries)
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.PENDING if delay is not None else Delivery.Status.FAILED,
            tries=tries,
            next_try_at=now + timedelta(seconds=delay) if delay is not None else None,
        )
        _failing(endpoint, now)
    log.info(
        "webhook not accepted",
        extra={"endpoint": endpoint.pk, "msg_id": message.msg_id, "tries": tries,
               "http_status": answer.http_status, "error": answer.error},
    )  # fmt: skip
    return False


def _failing(endpoint: Endpoint, now: datetime) -> None:
    """Note when an endpoint started failing; after WEBHOOK_DISABLE_AFTER_DAYS without one
    accepted message it is disabled, with the reason, and the dashboard raises the alarm."""
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    since = Endpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if since and now - since >= timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS):
        reason = _("No message accepted since %(since)s.") % {"since": since.isoformat()}
        Endpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False, disabled_reason=reason[:255]
        )
        log.warning("webhook endpoint disabled", extra={"endpoint": endpoint.pk})


def requeue_stalled(now: datetime) -> int:
    """Deliveries claimed by a worker that died mid-try (the claim is older than the longest
    try could take) are due again."""
    longest = timedelta(seconds=sum(settings.WEBHOOK_TIMEOUT) + 30)
    stalled = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - longest)
    return stalled.update(status=Delivery.Status.PENDING, next_try_at=now)


def due_deliveries(now: datetime, limit: int = 1000) -> list[int]:
    """Deliveries whose next try is due, oldest first."""
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_try_at__lte=now)
    return list(due.order_by("next_try_at").values_list("pk", flat=True)[:limit])


def redeliver(deliveries: Iterable[Delivery]) -> int:
    """Send again now, whatever happened before (a manual redeliver from the console or API)."""
    ids = [d.pk for d in deliveries]
    Delivery.objects.filter(pk__in=ids).exclude(status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, next_try_at=timezone.now()
    )
    transaction.on_commit(lambda: queue(ids), robust=True)
    return len(ids)


def replay(endpoint: Endpoint, start: datetime, end: datetime) -> int:
    """Every message of the time range this endpoint wants, sent to it again (or for the first
    time, when it was added or disabled then); returns how many."""
    suite_ids = set(endpoint.suites.values_list("pk", flat=True))
    messages = Message.objects.filter(
        provider=endpoint.provider_id, created_at__gte=start, created_at__lt=end
    )
    if suite_ids:
        messages = messages.filter(suite__in=suite_ids)
    wanted = [m for m in messages.only("pk", "type") if endpoint.wants(m.type)]
    now = timezone.now()
    with transaction.atomic():
        for message in wanted:
            Delivery.objects.update_or_create(
                message=message, endpoint=endpoint,
                defaults={"status": Delivery.Status.PENDING, "next_try_at": now},
            )  # fmt: skip
        ids = list(
            Delivery.objects.filter(endpoint=endpoint, message__in=wanted).values_list(
                "pk", flat=True
            )
        )
        transaction.on_commit(lambda: queue(ids), robust=True)
    return len(wanted)


# --- retention -----------------------------------------------------------------------------

PURGE_BATCH = 1000  # messages per DELETE: Django collects each one's deliveries and attempts


def purge_old_messages(now: datetime) -> int:
    """Delete the messages older than WEBHOOK_RETENTION_DAYS whose deliveries are all over
    (delivered or given up), with their deliveries and attempts; returns how many. One provider
    at a time, along the (provider, created_at) index."""
    cutoff = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    open_delivery = Delivery.objects.filter(
        message=OuterRef("pk"), status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    )
    purged = 0
    for provider_id in Provider.objects.values_list("pk", flat=True):
        old = Message.objects.filter(provider_id=provider_id, created_at__lt=cutoff).exclude(
            Exists(open_delivery)
        )
        while batch := list(old.values_list("pk", flat=True)[:PURGE_BATCH]):
            Message.objects.filter(pk__in=batch).delete()
            purged += len(batch)
    return purged
