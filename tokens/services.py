"""The credential service: every WeCom token and ticket the portal uses, kept fresh.

A credential is read from the cache (``tokens.cache``), else from its database row, else fetched
upstream. Fetching is single-flight without holding a database lock across the call: a caller
claims the row's refresh lease with one conditional UPDATE, calls WeCom with no transaction open,
and stores the answer; the others wait for that answer (on the Redis lock when Redis is there,
else by polling the row for at most CREDENTIAL_WAIT seconds, then 503 ``credential_busy``). The
holder keeps its lease alive while it calls, so a slow call keeps it however long it takes,
and the lease of a holder that crashed runs out within 15 seconds. SQLite's write lock is
therefore held for milliseconds, never for an upstream call, so callbacks keep being stored
while a token is fetched.

A credential is renewed from 70–85% of its lifetime (jittered per credential) and is not handed
out in its last tenth, or last five minutes for WeCom's usual two-hour lifetimes; between its
renewal time and that margin it is still handed out while one caller renews it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp, Provider, Suite
from tokens import cache as credential_cache
from tokens import kinds
from tokens.client import wecom_client
from tokens.leases import (
    LEASE_SECONDS,
    lease_claim,
    lease_kept,
    lease_release,
    pooled_connection_returned,
)
from tokens.locks import redis_lock
from tokens.models import Credential
from wecom.client import CorpAPI, ProviderAPI, SuiteAPI, SuiteTicketInvalidError
from wecom.client.errors import WeComError
from wecom.client.models import Credential as Fetched

log = logging.getLogger(__name__)

Kind = Credential.Kind
Owner = Provider | Suite | AuthorizedCorp
MAX_MARGIN = 300.0  # seconds: the most a credential is kept back before it expires
MARGIN_SHARE = 0.10  # of its lifetime, for lifetimes under 50 minutes
RENEW_FROM = (0.70, 0.85)  # fraction of the lifetime after which it is renewed
POLL_INTERVAL = (0.02, 0.25)  # seconds between looks at a row another process is refreshing
CORP_KINDS = (Kind.CORP, Kind.JSAPI, Kind.AGENT_CONFIG)
OWNER_FIELD: dict[str, str] = {Kind.SUITE: "suite", Kind.PROVIDER: "provider"}


class CredentialError(Exception):
    """A credential cannot be had, for a reason the operator must see."""


class CorpCancelledError(CredentialError):
    pass


class SuiteTicketError(CredentialError):
    pass


class CredentialBusyError(CredentialError):
    """Another process is fetching the credential for longer than a request may wait."""


def credential_key(kind: str, owner: Owner) -> str:
    """The row's key (by primary key, unique in this database)."""
    return f"{kind}:{owner.pk}"


def cache_name(kind: str, owner: Owner) -> str:
    """The cache's key, by WeCom's natural ids: stable across database restores."""
    if isinstance(owner, AuthorizedCorp):
        return f"{kind}:{owner.suite.suite_id}:{owner.corpid}"
    if isinstance(owner, Suite):
        return f"{kind}:{owner.suite_id}"
    return f"{kind}:{owner.corpid}"


def margin(lifetime: float) -> float:
    """How long before expiry a credential stops being handed out. WeCom may answer a short
    expires_in when it retires a token early; a fixed five minutes would then exceed the whole
    lifetime and turn every use into an upstream call."""
    return min(MAX_MARGIN, lifetime * MARGIN_SHARE)


@dataclass(frozen=True)
class Times:
    """When a stored credential is due for renewal, and until when it may be handed out."""

    renew: float
    usable_until: float

    @classmethod
    def of(cls, row: Credential) -> Times | None:
        if not row.value or not (row.expires_at and row.refresh_at and row.fetched_at):
            return None
        expires, fetched = row.expires_at.timestamp(), row.fetched_at.timestamp()
        return cls(row.refresh_at.timestamp(), expires - margin(expires - fetched))

    def fresh(self, now: float) -> bool:
        return now < self.renew and now < self.usable_until

    def usable(self, now: float) -> bool:
        return now < self.usable_until


def _lock_seconds() -> float:
    """The Redis lock outlives the slowest fetch with its retries; waiters stop waiting for it
    after CREDENTIAL_WAIT and fall back to the row's lease anyway."""
    return wecom_client().transport.longest_call() + 5.0


def _to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _cached_fresh(kind: str, owner: Owner) -> str | None:
    cached = credential_cache.read(cache_name(kind, owner))
    if cached is not None and Times(cached.renew, cached.usable_until).fresh(time.time()):
        return cached.value
    return None


def _remember(kind: str, owner: Owner, row: Credential) -> None:
    times = Times.of(row)
    if times is not None and row.expires_at is not None:
        credential_cache.write(
            cache_name(kind, owner),
            row.value,
            expires=row.expires_at.timestamp(),
            renew=times.renew,
            usable_until=times.usable_until,
        )


# --- upstream ------------------------------------------------------------------------------


def _ticket_age_text(suite: Suite) -> str:
    age = suite.ticket_age()
    if age is None:
        return _("no suite_ticket has been pushed yet")
    return _("its newest suite_ticket was pushed %(minutes)d minutes ago") % {"minutes": age // 60}


def _fetch_suite_token(suite: Suite) -> Fetched:
    suite.refresh_from_db(fields=["suite_ticket", "suite_ticket_at"])
    if not suite.suite_ticket:
        raise SuiteTicketError(
            _("Suite %(suite)s has no suite_ticket: %(age)s. Check its command callback URL.")
            % {"suite": suite.suite_id, "age": _ticket_age_text(suite)}
        )
    try:
        return wecom_client().tokens.get_suite_token(
            suite_id=suite.suite_id, suite_secret=suite.secret, suite_ticket=suite.suite_ticket
        )
    except SuiteTicketInvalidError:
        raise SuiteTicketError(
            _("WeCom refused the suite_ticket of suite %(suite)s: %(age)s.")
            % {"suite": suite.suite_id, "age": _ticket_age_text(suite)}
        ) from None


def _fetch_provider_token(provider: Provider) -> Fetched:
    return wecom_client().tokens.get_provider_token(
        corpid=provider.corpid, provider_secret=provider.secret
    )


def _fetch_corp_token(corp: AuthorizedCorp) -> Fetched:
    return kinds.kind_of(corp.suite).corp_token(corp)  # get_corp_token, or gettoken (代开发)


FETCHERS: dict[str, Callable[[Any], Fetched]] = {
    Kind.SUITE: _fetch_suite_token,
    Kind.PROVIDER: _fetch_provider_token,
    Kind.CORP: _fetch_corp_token,
    Kind.JSAPI: lambda corp: corp_api(corp).get_jsapi_ticket(),
    Kind.AGENT_CONFIG: lambda corp: corp_api(corp).get_agent_config_ticket(),
}


def _ensure_allowed(kind: str, owner: Owner) -> None:
    if kind not in CORP_KINDS:
        return
    assert isinstance(owner, AuthorizedCorp), kind
    if not owner.is_active or not owner.permanent_code:
        raise CorpCancelledError(
            _("Corp %(corpid)s has cancelled its authorization; it has no credentials.")
            % {"corpid": owner.corpid}
        )


def _stored_fields(fetched: Fetched, now: float) -> dict[str, Any]:
    lifetime = float(fetched.expires_in)
    return {
        "value": fetched.value,
        "fetched_at": _to_datetime(now),
        "expires_at": _to_datetime(now + lifetime),
        "refresh_at": _to_datetime(now + lifetime * random.uniform(*RENEW_FROM)),  # noqa: S311
        "refresh_scheduled_for": None,
        "failures": 0,
        "last_error": "",
    }


# --- the refresh lease ---------------------------------------------------------------------


def _lease_claim(row: Credential) -> str | None:
    return lease_claim(Credential.objects.filter(key=row.key), seconds=LEASE_SECONDS, seen=row)


def _lease_free(key: str) -> bool:
    """Nobody holds the row's lease: a live fetcher renews it every third of LEASE_SECONDS, so
    a lapsed lease under a held Redis lock means the lock's holder died (the lock outlives it
    by up to the longest call). Claiming the lease stays atomic, so this cannot double-fetch."""
    now = datetime.now(tz=UTC)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return Credential.objects.filter(key=key).filter(free).exists()


def _lease_release(key: str, lease: str, **fields: Any) -> bool:
    return lease_release(Credential.objects.filter(key=key), lease, **fields)


def _fetch(
    kind: str, owner: Owner, key: str, lease: str, done: Callable[[Credential], bool]
) -> Credential:
    """Under the lease: unless the row is already ``done`` (another process stored an answer
    between our last look and our claim), call WeCom with no transaction open and store."""
    row = Credential.objects.get(key=key)
    if done(row):
        _lease_release(key, lease)
        return row
    now = time.time()
    try:
        current = type(owner).objects.get(pk=owner.pk)
        _ensure_allowed(kind, current)
        with lease_kept(Credential.objects.filter(key=key), lease, seconds=LEASE_SECONDS):
            fetched = FETCHERS[kind](current)
    except Exception as exc:
        _lease_release(
            key,
            lease,
            failures=F("failures") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            refresh_scheduled_for=None,
        )
        raise
    fields = _stored_fields(fetched, now)
    if not _lease_release(key, lease, **fields):
        # Our claim ran out and another process took over: its answer will be as good as ours.
        Credential.objects.filter(key=key).update(**fields)
    log.info("credential fetched", extra={"credential": key, "kind": kind})
    return Credential.objects.get(key=key)


def _is_fresh(row: Credential, *, since: float | None = None) -> bool:
    """Fresh now, and (``since``) fetched no earlier than that time."""
    times = Times.of(row)
    if times is None or not times.fresh(time.time()):
        return False
    return since is None or (row.fetched_at is not None and row.fetched_at.timestamp() >= since)


def _wait_time() -> float:
    return float(settings.CREDENTIAL_WAIT)


# --- the service ---------------------------------------------------------------------------


def _row(kind: str, owner: Owner) -> Credential:
    row, _created = Credential.objects.get_or_create(
        key=credential_key(kind, owner), defaults={"kind": kind, _owner_field(kind): owner}
    )
    return row


def credential_get(*, kind: str, owner: Owner) -> str:
    """A usable credential value: from the cache, the database, or one upstream call.

    Past its renewal time but still usable, it is handed out while the first caller to notice
    renews it; nobody waits for an upstream call unless there is no usable value at all.
    """
    _ensure_allowed(kind, owner)
    now = time.time()
    if (value := _cached_fresh(kind, owner)) is not None:
        return value
    row = Credential.objects.filter(key=credential_key(kind, owner)).first()
    times = Times.of(row) if row is not None else None
    if row is not None and times is not None and times.fresh(now):
        _remember(kind, owner, row)
        return row.value
    if row is not None and times is not None and times.usable(now):
        lease = _lease_claim(row)
        if lease is None:
            return row.value  # another process is renewing it
        try:
            renewed = _fetch(kind, owner, row.key, lease, _is_fresh)
        except WeComError as exc:  # renewal can wait; the current value still works
            log.warning(
                "credential renewal failed", extra={"credential": row.key, "error": str(exc)}
            )
            return row.value
        _remember(kind, owner, renewed)
        return renewed.value
    return credential_refresh(kind=kind, owner=owner)


@dataclass(frozen=True)
class Issued:
    """A credential handed to another service: its value, and until when to use it (WeCom's
    expiry less the margin this service keeps for itself)."""

    value: str = field(repr=False)
    usable_until: datetime


def credential_issue(*, kind: str, owner: Owner) -> Issued:
    """``credential_get`` for a caller outside this process (the central credential API)."""
    value = credential_get(kind=kind, owner=owner)
    cached = credential_cache.read(cache_name(kind, owner))
    if cached is not None and cached.value == value:
        return Issued(value, _to_datetime(cached.usable_until))
    row = Credential.objects.get(key=credential_key(kind, owner))
    times = Times.of(row)
    until = times.usable_until if times is not None else time.time()
    return Issued(value, _to_datetime(until))


def _fresh_or_fetched(kind: str, owner: Owner, key: str, since: float | None) -> Credential | None:
    """The row if it is fresh (fetched since ``since``), else fetched under its lease if this
    process claims it; None while another process holds the lease."""
    row = Credential.objects.get(key=key)
    if _is_fresh(row, since=since):
        return row
    lease = _lease_claim(row)
    if lease is None:
        return None
    return _fetch(kind, owner, key, lease, partial(_is_fresh, since=since))


def credential_refresh(*, kind: str, owner: Owner, force: bool = False) -> str:
    """Fetch the credential unless another process just did (or always, with ``force``); when
    another process is fetching it, wait for its answer for at most CREDENTIAL_WAIT seconds.

    Whoever holds the Redis lock (everyone, without Redis) looks at the row and claims its
    lease; the others look in the cache between short waits for the lock, so a crowd of waiters
    is answered together the moment the value arrives, not one lock holder at a time.
    """
    key = _row(kind, owner).key
    asked_at = time.time()
    deadline = asked_at + _wait_time()
    since = asked_at if force else None
    pause = POLL_INTERVAL[0]
    while True:
        pooled_connection_returned()
        with redis_lock(key, timeout=_lock_seconds(), wait=pause) as may_look:
            if not may_look and time.time() - asked_at > LEASE_SECONDS / 3:
                may_look = _lease_free(key)  # the lock's holder may have died holding it
            row = _fresh_or_fetched(kind, owner, key, since) if may_look else None
            if row is not None:
                _remember(kind, owner, row)
                return row.value
        if since is None and (value := _cached_fresh(kind, owner)) is not None:
            return value
        if time.time() + pause > deadline:
            raise CredentialBusyError(
                _("Credential %(key)s is being fetched by another process.") % {"key": key}
            )
        if may_look:  # otherwise the wait for the lock was the pause
            pooled_connection_returned()
            time.sleep(pause)
        pause = min(pause * 2, POLL_INTERVAL[1])


def credential_store(*, kind: str, owner: Owner, value: str, expires_in: int) -> None:
    """Keep a credential WeCom handed over with something else (get_permanent_code v1 returns
    the first corp token), saving a call."""
    row = _row(kind, owner)
    Credential.objects.filter(pk=row.pk).update(
        **_stored_fields(Fetched(value, expires_in), time.time())
    )
    row.refresh_from_db()
    _remember(kind, owner, row)


def credential_invalidate(*, kind: str, owner: Owner, failed_value: str) -> bool:
    """WeCom rejected ``failed_value``: expire the credential, but only if its row still holds
    that value, so a burst of failures causes one re-fetch. The cached copy is dropped either
    way (it may predate the row); that costs a database read, never an upstream call.
    Returns whether it expired the row."""
    key = credential_key(kind, owner)
    credential_cache.forget(cache_name(kind, owner))
    row = Credential.objects.filter(key=key).first()
    now = time.time()
    if row is None or row.expires_at is None or row.expires_at.timestamp() <= now:
        return False
    if row.value != failed_value:
        return False
    expired = Credential.objects.filter(pk=row.pk, fetched_at=row.fetched_at).update(
        expires_at=_to_datetime(now), refresh_at=_to_datetime(now)
    )
    if expired:
        log.info("credential invalidated", extra={"credential": key})
    return bool(expired)


def corp_credentials_drop(*, corp: AuthorizedCorp) -> int:
    """Delete every credential of a corp (it cancelled)."""
    kinds = list(Credential.objects.filter(corp=corp).values_list("kind", flat=True))
    Credential.objects.filter(corp=corp).delete()
    for kind in kinds:
        credential_cache.forget(cache_name(kind, corp))
    return len(kinds)


def credential_refresh_by_key(key: str, *, force: bool = False) -> str:
    row = Credential.objects.select_related("suite", "provider", "corp__suite").get(key=key)
    owner = row.corp or row.suite or row.provider
    assert owner is not None, key
    return credential_refresh(kind=row.kind, owner=owner, force=force)


def _owner_field(kind: str) -> str:
    return OWNER_FIELD.get(kind, "corp")


# --- token sources for the wecom client ----------------------------------------------------


@dataclass(frozen=True)
class CredentialSource:
    """Plugs the service into a wecom client scope (get, and compare-and-invalidate)."""

    kind: str
    owner: Owner

    def get(self) -> str:
        return credential_get(kind=self.kind, owner=self.owner)

    def invalidate(self, token: str) -> None:
        credential_invalidate(kind=self.kind, owner=self.owner, failed_value=token)


def suite_api(suite: Suite) -> SuiteAPI:
    return wecom_client().suite(CredentialSource(Kind.SUITE, suite))


def provider_api(provider: Provider) -> ProviderAPI:
    return wecom_client().provider(CredentialSource(Kind.PROVIDER, provider))


def corp_api(corp: AuthorizedCorp) -> CorpAPI:
    return wecom_client().corp(CredentialSource(Kind.CORP, corp))
