"""The credential service: every WeCom token and ticket the portal uses, kept fresh.

A credential is read from the cache (where it is kept encrypted too), else from its database row,
else fetched upstream. Fetching is single-flight: a Redis lock when available, then the row lock
(``SELECT … FOR UPDATE``; on SQLite the write transaction is exclusive), then a second look at
the row, so however many requests arrive cold, one of them calls WeCom and the rest reuse its
answer. A credential is renewed from 70–85% of its lifetime (jittered per credential) and never
handed out with under five minutes left.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from corps.fields import decrypt, encrypt
from corps.models import AuthorizedCorp, Provider, Suite
from tokens.client import wecom_client
from tokens.locks import redis_lock
from tokens.models import Credential
from wecom.client import CorpAPI, ProviderAPI, SuiteAPI, SuiteTicketInvalidError
from wecom.client.errors import WeComError
from wecom.client.models import Credential as Fetched

log = logging.getLogger(__name__)

Kind = Credential.Kind
Owner = Provider | Suite | AuthorizedCorp
MIN_REMAINING = 300.0  # seconds: a credential closer to expiry is never handed out
RENEW_FROM = (0.70, 0.85)  # fraction of the lifetime after which it is renewed
CORP_KINDS = (Kind.CORP, Kind.JSAPI, Kind.AGENT_CONFIG)
OWNER_FIELD = {Kind.SUITE: "suite", Kind.PROVIDER: "provider"}


class CredentialError(Exception):
    """A credential cannot be had, for a reason the operator must see."""


class CorpCancelledError(CredentialError):
    pass


class SuiteTicketError(CredentialError):
    pass


def credential_key(kind: str, owner: Owner) -> str:
    return f"{kind}:{owner.pk}"


def _cache_key(key: str) -> str:
    return f"credential:{key}"


def _fresh(expires_at: float | None, refresh_at: float | None, now: float) -> bool:
    return (
        expires_at is not None
        and refresh_at is not None
        and expires_at - now > MIN_REMAINING
        and refresh_at > now
    )


def _row_fresh(row: Credential, now: float) -> bool:
    return bool(row.value) and _fresh(
        row.expires_at.timestamp() if row.expires_at else None,
        row.refresh_at.timestamp() if row.refresh_at else None,
        now,
    )


# --- the cache, which may be Redis and may be down ---------------------------------------------


def _cache_read(key: str) -> tuple[str, float, float] | None:
    try:
        cached = cache.get(_cache_key(key))
    except Exception as exc:  # a cache outage degrades to database reads
        log.warning("credential cache unavailable", extra={"error": type(exc).__name__})
        return None
    return cached if isinstance(cached, tuple) and len(cached) == 3 else None


def _cache_write(row: Credential) -> None:
    if not row.value or row.expires_at is None or row.refresh_at is None:
        return
    expires, renew = row.expires_at.timestamp(), row.refresh_at.timestamp()
    ttl = min(renew, expires - MIN_REMAINING) - time.time()
    if ttl <= 1:
        return
    try:
        cache.set(_cache_key(row.key), (encrypt(row.value), expires, renew), timeout=int(ttl))
    except Exception as exc:
        log.warning("credential cache unavailable", extra={"error": type(exc).__name__})


def _cache_forget(key: str) -> None:
    try:
        cache.delete(_cache_key(key))
    except Exception as exc:
        log.warning("credential cache unavailable", extra={"error": type(exc).__name__})


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
    return suite_api(corp.suite).get_corp_token(
        auth_corpid=corp.corpid, permanent_code=corp.permanent_code
    )


FETCHERS: dict[str, Callable[[Any], Fetched]] = {
    Kind.SUITE: _fetch_suite_token,
    Kind.PROVIDER: _fetch_provider_token,
    Kind.CORP: _fetch_corp_token,
    Kind.JSAPI: lambda corp: corp_api(corp).get_jsapi_ticket(),
    Kind.AGENT_CONFIG: lambda corp: corp_api(corp).get_agent_config_ticket(),
}


def _ensure_allowed(kind: str, owner: Owner) -> None:
    if kind in CORP_KINDS and (not owner.is_active or not owner.permanent_code):
        raise CorpCancelledError(
            _("Corp %(corpid)s has cancelled its authorization; it has no credentials.")
            % {"corpid": owner.corpid}
        )


def _to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _store(row: Credential, fetched: Fetched, now: float) -> None:
    lifetime = float(fetched.expires_in)
    row.value = fetched.value
    row.fetched_at = _to_datetime(now)
    row.expires_at = _to_datetime(now + lifetime)
    row.refresh_at = _to_datetime(now + lifetime * random.uniform(*RENEW_FROM))  # noqa: S311
    row.refresh_scheduled_for = None
    row.failures = 0
    row.last_error = ""
    row.save()


# --- the service ---------------------------------------------------------------------------


def credential_get(*, kind: str, owner: Owner) -> str:
    """A usable credential value: from the cache, the database, or one upstream call."""
    _ensure_allowed(kind, owner)
    key = credential_key(kind, owner)
    now = time.time()
    cached = _cache_read(key)
    if cached is not None and _fresh(cached[1], cached[2], now):
        return decrypt(cached[0], where="a cached credential")
    row = Credential.objects.filter(key=key).first()
    if row is not None and _row_fresh(row, now):
        _cache_write(row)
        return row.value
    return credential_refresh(kind=kind, owner=owner)


def credential_refresh(*, kind: str, owner: Owner, force: bool = False) -> str:
    """Fetch the credential unless another process just did (or always, with ``force``)."""
    key = credential_key(kind, owner)
    Credential.objects.get_or_create(key=key, defaults={"kind": kind, _owner_field(kind): owner})
    failure: Exception | None = None
    with redis_lock(key), transaction.atomic():
        row = Credential.objects.select_for_update().get(key=key)
        now = time.time()
        if not force and _row_fresh(row, now):
            value = row.value
        else:
            current = type(owner).objects.get(pk=owner.pk)
            _ensure_allowed(kind, current)
            try:
                fetched = FETCHERS[kind](current)
            except (WeComError, CredentialError) as exc:
                row.failures += 1
                row.last_error = str(exc)[:500]
                row.refresh_scheduled_for = None
                row.save(update_fields=["failures", "last_error", "refresh_scheduled_for"])
                failure = exc
            else:
                _store(row, fetched, now)
                value = fetched.value
                log.info("credential fetched", extra={"credential": key, "kind": kind})
    if failure is not None:
        raise failure
    _cache_write(row)
    return value


def credential_store(*, kind: str, owner: Owner, value: str, expires_in: int) -> None:
    """Keep a credential WeCom handed over with something else (get_permanent_code v1 returns
    the first corp token), saving a call."""
    key = credential_key(kind, owner)
    Credential.objects.get_or_create(key=key, defaults={"kind": kind, _owner_field(kind): owner})
    with transaction.atomic():
        row = Credential.objects.select_for_update().get(key=key)
        _store(row, Fetched(value, expires_in), time.time())
    _cache_write(row)


def credential_invalidate(*, kind: str, owner: Owner, failed_value: str) -> bool:
    """WeCom rejected ``failed_value``: expire the credential, but only if its row still holds
    that value, so a burst of failures causes one re-fetch. The cached copy is dropped either
    way (it may predate the row); that costs a database read, never an upstream call.
    Returns whether it expired the row."""
    key = credential_key(kind, owner)
    _cache_forget(key)
    with transaction.atomic():
        row = Credential.objects.select_for_update().filter(key=key).first()
        now = time.time()
        already_expired = row is None or row.expires_at is None or row.expires_at.timestamp() <= now
        if already_expired or row.value != failed_value:
            return False
        row.expires_at = row.refresh_at = _to_datetime(now)
        row.save(update_fields=["expires_at", "refresh_at", "updated_at"])
    log.info("credential invalidated", extra={"credential": key})
    return True


def corp_credentials_drop(*, corp: AuthorizedCorp) -> int:
    """Delete every credential of a corp (it cancelled)."""
    keys = list(Credential.objects.filter(corp=corp).values_list("key", flat=True))
    Credential.objects.filter(corp=corp).delete()
    for key in keys:
        _cache_forget(key)
    return len(keys)


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
