"""Service accounts: API keys for the provider's own backends (``isv_…``), stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.models import Provider, Suite
from oauth.models import Role, ServiceKey

# A century: no key needs longer, and none may expire past the largest date Python keeps.
MAX_EXPIRES_DAYS = 36_500


class ServiceKeyError(ValueError):
    """A service account cannot be made or changed as asked; the message says why."""


def key_digest(key: str | bytes) -> str:
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).hexdigest()


def service_key_issue(row: ServiceKey, *, expires_days: int | None = None) -> str:
    """Give an unsaved service account its key: the key is returned, its digest kept."""
    if expires_days is not None and not 0 < expires_days <= MAX_EXPIRES_DAYS:
        raise ServiceKeyError(
            _("An expiry must be a positive number of days, at most %(most)d.")
            % {"most": MAX_EXPIRES_DAYS}
        )
    key = ServiceKey.PREFIX + secrets.token_urlsafe(32)
    row.digest, row.hint = key_digest(key), key[-4:]
    row.expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    return key


@transaction.atomic
def service_key_create(
    *,
    name: str,
    provider: Provider,
    role: Role = Role.OPERATOR,
    suite_ids: Iterable[str] = (),
    expires_days: int | None = None,
    relay_paths: Iterable[str] = (),
) -> tuple[str, ServiceKey]:
    """A new service account; its key is returned once and only its SHA-256 is kept."""
    name = name.strip()
    if not name:
        raise ServiceKeyError(_("A service account needs a name."))
    wanted = sorted(set(suite_ids))
    suites = list(Suite.objects.filter(provider=provider, suite_id__in=wanted))
    unknown = sorted(set(wanted) - {s.suite_id for s in suites})
    if unknown:
        raise ServiceKeyError(
            _("No suite %(suites)s under provider %(provider)s.")
            % {"suites": ", ".join(unknown), "provider": provider.corpid}
        )
    row = ServiceKey(name=name, provider=provider, role=role, relay_paths=list(relay_paths))
    key = service_key_issue(row, expires_days=expires_days)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ServiceKeyError(
            _("A service account named %(name)s exists already.") % {"name": name}
        ) from None
    row.suites.set(suites)
    return key, row


def service_key_revoke(*, name: str) -> ServiceKey:
    row = ServiceKey.objects.filter(name=name).first()
    if row is None:
        raise ServiceKeyError(_("No service account named %(name)s.") % {"name": name})
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    return row
