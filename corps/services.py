"""Writes to the tenancy model. Each service is one transaction with keyword-only arguments."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp, Provider, RegisterCode, Suite
from wecom.client.models import Agent, AuthCorpInfo, Authorization, Edition, PermanentCode
from wecom.crypto import CallbackCryptoError, validate_encoding_aes_key


def _check_aes_key(value: str) -> None:
    try:
        validate_encoding_aes_key(value)
    except CallbackCryptoError:
        raise ValidationError(
            _("The EncodingAESKey must be 43 characters of letters and digits.")
        ) from None


def _require(value: str, label: str) -> None:
    if not value or not value.strip():
        raise ValidationError(_("%(field)s must not be empty.") % {"field": label})


@transaction.atomic
def provider_upsert(
    *, corpid: str, secret: str, token: str = "", encoding_aes_key: str = "", name: str = ""
) -> tuple[Provider, bool]:
    """Create the provider or update it; returns (provider, created)."""
    _require(corpid, "corpid")
    _require(secret, _("The provider secret"))
    if encoding_aes_key:
        _check_aes_key(encoding_aes_key)
    provider = Provider.objects.select_for_update().filter(corpid=corpid).first()
    created = provider is None
    provider = provider or Provider(corpid=corpid)
    provider.secret = secret
    if token:
        provider.token = token
    if encoding_aes_key:
        provider.encoding_aes_key = encoding_aes_key
    if name:
        provider.name = name
    provider.save()
    return provider, created


@transaction.atomic
def suite_upsert(
    *,
    suite_id: str,
    provider_corpid: str,
    secret: str,
    token: str,
    encoding_aes_key: str,
    name: str = "",
    install_mode: str | None = None,
    kind: str | None = None,
) -> tuple[Suite, bool]:
    """Create the suite or update it; returns (suite, created)."""
    _require(suite_id, "suite_id")
    _require(secret, _("The suite secret"))
    _require(token, _("The callback Token"))
    _check_aes_key(encoding_aes_key)
    if install_mode is not None and install_mode not in Suite.InstallMode.values:
        raise ValidationError(_("Unknown install mode %(mode)s.") % {"mode": install_mode})
    if kind is not None and kind not in Suite.Kind.values:
        raise ValidationError(_("Unknown suite kind %(kind)s.") % {"kind": kind})
    provider = Provider.objects.filter(corpid=provider_corpid).first()
    if provider is None:
        raise ValidationError(
            _("No provider %(corpid)s: add it first with addprovider.")
            % {"corpid": provider_corpid}
        )
    suite = Suite.objects.select_for_update().filter(suite_id=suite_id).first()
    created = suite is None
    suite = suite or Suite(suite_id=suite_id)
    suite.provider = provider
    suite.secret, suite.token, suite.encoding_aes_key = secret, token, encoding_aes_key
    if name:
        suite.name = name
    if kind is not None:
        suite.kind = kind
    if install_mode is not None:
        suite.install_mode = install_mode
    suite.save()
    return suite, created


def suite_ticket_store(*, suite: Suite, ticket: str, pushed_at: datetime) -> bool:
    """Keep the newest ticket: a push older than the stored one never overwrites it.

    One conditional UPDATE, so concurrent pushes cannot interleave. Returns whether it was stored.
    """
    stored = (
        Suite.objects.filter(pk=suite.pk)
        .filter(Q(suite_ticket_at__isnull=True) | Q(suite_ticket_at__lte=pushed_at))
        .update(suite_ticket=ticket, suite_ticket_at=pushed_at, updated_at=timezone.now())
    )
    return stored == 1


def from_unix(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _apply_authorization(
    corp: AuthorizedCorp,
    info: AuthCorpInfo,
    agents: tuple[Agent, ...],
    editions: tuple[Edition, ...],
) -> None:
    """Copy what WeCom says the corp authorized onto the tenant row."""
    corp.corp_name = info.corp_name or corp.corp_name
    corp.corp_full_name = info.corp_full_name or corp.corp_full_name
    corp.corp_type = info.corp_type or corp.corp_type
    corp.corp_square_logo_url = info.corp_square_logo_url or corp.corp_square_logo_url
    corp.corp_user_max = info.corp_user_max or corp.corp_user_max
    corp.subject_type = info.subject_type or corp.subject_type
    corp.verified_end_time = from_unix(info.verified_end_time) or corp.verified_end_time
    corp.corp_scale = info.corp_scale or corp.corp_scale
    corp.corp_industry = info.corp_industry or corp.corp_industry
    corp.corp_sub_industry = info.corp_sub_industry or corp.corp_sub_industry
    if agents:
        agent = agents[0]  # single-app suites always authorize exactly one agent
        corp.agentid = agent.agentid
        corp.auth_mode = agent.auth_mode
        corp.auth_scope = {
            "level": agent.privilege.level,
            "allow_party": list(agent.privilege.allow_party),
            "allow_user": list(agent.privilege.allow_user),
            "allow_tag": list(agent.privilege.allow_tag),
            "extra_party": list(agent.privilege.extra_party),
            "extra_user": list(agent.privilege.extra_user),
            "extra_tag": list(agent.privilege.extra_tag),
        }
        corp.auth_info = {
            "agentid": agent.agentid,
            "name": agent.name,
            "square_logo_url": agent.square_logo_url,
            "is_customized_app": agent.is_customized_app,
            "shared_from_corpid": agent.shared_from_corpid,
        }
    if editions:
        edition = editions[0]
        corp.edition_id = edition.edition_id
        corp.edition_name = edition.edition_name
        corp.app_status = edition.app_status
        corp.user_limit = edition.user_limit
        corp.edition_expires_at = from_unix(edition.expired_time)


@transaction.atomic
def corp_authorize(
    *, suite: Suite, result: PermanentCode, now: datetime | None = None
) -> tuple[AuthorizedCorp, bool]:
    """Store an installation from get_permanent_code; returns (corp, created).

    A corp that cancelled and installs again is reactivated: the same row, its history kept.
    """
    now = now or timezone.now()
    corpid = result.auth_corp_info.corpid
    corp = AuthorizedCorp.objects.select_for_update().filter(suite=suite, corpid=corpid).first()
    created = corp is None
    if corp is None:
        corp = AuthorizedCorp(suite=suite, corpid=corpid, installed_at=now)
    elif not corp.is_active:
        corp.reactivated_at = now
    corp.status = AuthorizedCorp.Status.ACTIVE
    corp.permanent_code = result.permanent_code
    corp.install_state = result.state
    if result.auth_user_info:
        corp.admin_userid = result.auth_user_info.userid
        corp.admin_open_userid = result.auth_user_info.open_userid
    _apply_authorization(corp, result.auth_corp_info, result.agents, result.editions)
    corp.save()
    return corp, created


@transaction.atomic
def corp_auth_info_update(*, corp: AuthorizedCorp, authorization: Authorization) -> AuthorizedCorp:
    """Apply a fresh get_auth_info (after change_auth, or a console refresh)."""
    corp = AuthorizedCorp.objects.select_for_update().get(pk=corp.pk)
    _apply_authorization(
        corp, authorization.auth_corp_info, authorization.agents, authorization.editions
    )
    corp.save()
    return corp


@transaction.atomic
def corp_cancel(*, corp: AuthorizedCorp, now: datetime | None = None) -> AuthorizedCorp:
    """The corp uninstalled: mark it cancelled and forget its permanent code."""
    corp = AuthorizedCorp.objects.select_for_update().get(pk=corp.pk)
    corp.status = AuthorizedCorp.Status.CANCELLED
    corp.cancelled_at = now or timezone.now()
    corp.permanent_code = ""
    corp.save()
    return corp


def register_code_link(
    *,
    code: str,
    provider: Provider,
    corp: AuthorizedCorp | None = None,
    corpid: str = "",
    contact_sync: tuple[str, int] | None = None,
    now: datetime | None = None,
) -> RegisterCode | None:
    """A register code became a corp: from register_corp (corpid known, tenant maybe not yet)
    or from the install that followed it (the tenant). Only ``provider``'s own codes and
    tenants are linked, so one provider's event never touches another's; unknown codes are
    ignored. ``contact_sync`` is register_corp's (token, seconds) for the contact migration."""
    registration = RegisterCode.objects.filter(
        provider=provider, code_digest=register_code_digest(code)
    ).first()
    if registration is None:
        return None
    registration.status = RegisterCode.Status.REGISTERED
    registration.registered_corpid = (
        corpid or (corp.corpid if corp else "") or (registration.registered_corpid)
    )
    registration.registered_at = registration.registered_at or now or timezone.now()
    if contact_sync is not None and registration.contacts_synced_at is None:
        token, expires_in = contact_sync
        registration.contact_sync_token = token
        registration.contact_sync_expires_at = (now or timezone.now()) + timedelta(
            seconds=expires_in
        )
    if corp is not None:
        registration.corp = corp
    elif registration.corp is None:
        registration.corp = AuthorizedCorp.objects.filter(
            suite__provider=provider, corpid=registration.registered_corpid
        ).first()
    registration.save()
    return registration


# WeCom's rule for a register code's state (84025 otherwise): letters and digits, at most 128.
REGISTER_STATE_PATTERN = r"^[A-Za-z0-9]{0,128}$"


def register_code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@transaction.atomic
def register_code_create(
    *,
    provider: Provider,
    template_id: str,
    code: str,
    expires_in: int,
    state: str = "",
    corp_name: str = "",
    admin_name: str = "",
    admin_mobile: str = "",
) -> RegisterCode:
    return RegisterCode.objects.create(
        provider=provider,
        template_id=template_id,
        code=code,
        code_digest=register_code_digest(code),
        state=state,
        corp_name=corp_name,
        admin_name=admin_name,
        admin_mobile=admin_mobile,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
