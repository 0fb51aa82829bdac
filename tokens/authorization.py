"""A tenant's authorization lifecycle: the services that change a corp and its credentials
together. The callback handlers, the install-done redirect and the console all use these."""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.contacts import contacts_replace, corp_admins_set
from corps.models import AuthorizedCorp, RegisterCode, Suite
from corps.services import corp_auth_info_update, corp_authorize, corp_cancel, register_code_link
from corps.signals import platform_event
from tokens.kinds import kind_of
from tokens.leases import LEASE_SECONDS, lease_claim, lease_kept, lease_release
from tokens.models import AuthCodeExchange, Credential
from tokens.services import (
    CredentialBusyError,
    CredentialError,
    corp_api,
    corp_credentials_drop,
    credential_refresh,
    credential_store,
    suite_api,
    wecom_client,
)
from wecom.client import InvalidCodeError, WeComError
from wecom.client.models import PermanentCode

log = logging.getLogger(__name__)
ROOT_DEPARTMENT = 1


class InstallAnswerLostError(Exception):
    """WeCom spent an auth_code but its answer never reached us: the permanent code is lost.

    Only the customer's admin can mend it, by installing the app again (or resetting the secret
    of a 代开发 app); the exchange is kept as an alarm on the dashboard.
    """


def corp_install_by_auth_code(*, suite: Suite, auth_code: str) -> AuthorizedCorp:
    """Exchange an install auth_code for the permanent code and store the tenant, once.

    The answer is committed as soon as it arrives, then the corp is built from it; building is
    idempotent and resumes from the stored answer after a crash. A second arrival of the same
    code (a redelivered create_auth, or the install-done redirect) waits for the first's answer.
    """
    digest = hashlib.sha256(auth_code.encode()).hexdigest()
    rows = AuthCodeExchange.objects.filter(code_digest=digest)
    AuthCodeExchange.objects.get_or_create(code_digest=digest, defaults={"suite": suite})
    deadline = time.monotonic() + float(settings.CREDENTIAL_WAIT)
    pause = 0.02
    while True:
        exchange = rows.get()
        if exchange.corp_id is not None:
            return AuthorizedCorp.objects.get(pk=exchange.corp_id)
        if exchange.status == AuthCodeExchange.Status.ANSWERED:
            return _corp_build(exchange)
        if exchange.status == AuthCodeExchange.Status.LOST:
            raise InstallAnswerLostError(exchange.error)
        lease = lease_claim(rows, seconds=LEASE_SECONDS, seen=exchange)
        if lease is not None:
            claimed = rows.get()  # another arrival may have been answered since our look
            if claimed.status == AuthCodeExchange.Status.PENDING and claimed.corp_id is None:
                _exchange(suite, auth_code, rows, lease, sent_before=claimed.sent_at is not None)
            else:
                lease_release(rows, lease)
            continue
        if time.monotonic() + pause > deadline:
            raise CredentialBusyError(_("This install is being processed by another request."))
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _exchange(
    suite: Suite, auth_code: str, rows: QuerySet[AuthCodeExchange], lease: str, *, sent_before: bool
) -> None:
    """Spend the code (under the lease) and commit the answer before anything else."""
    rows.update(sent_at=timezone.now())
    try:
        with lease_kept(rows, lease, seconds=LEASE_SECONDS):
            result = suite_api(suite).get_permanent_code(auth_code=auth_code)
    except InvalidCodeError as error:
        if not sent_before:
            lease_release(rows, lease, error=str(error)[:500])
            raise
        # An earlier try reached WeCom and spent the code, but its answer never arrived.
        message = _(
            "WeCom used this install's auth_code but its answer was lost, so the permanent code "
            "is unknown. Ask the customer's admin to install the app again (or reset the secret "
            "of a 代开发 app)."
        )
        lease_release(rows, lease, status=AuthCodeExchange.Status.LOST, error=message[:500])
        log.error("install answer lost", extra={"suite_id": suite.suite_id})
        raise InstallAnswerLostError(message) from None
    except Exception as error:
        lease_release(rows, lease, error=f"{type(error).__name__}: {error}"[:500])
        raise
    lease_release(
        rows,
        lease,
        status=AuthCodeExchange.Status.ANSWERED,
        answer=json.dumps(result.raw, ensure_ascii=False),
        answered_at=timezone.now(),
        error="",
    )


def _corp_build(exchange: AuthCodeExchange) -> AuthorizedCorp:
    """The tenant from a stored answer, once: its admins, credentials and register code too."""
    suite = exchange.suite
    result = PermanentCode.from_json(json.loads(exchange.answer))
    admins = _admins_at_install(suite, result)
    with transaction.atomic():
        exchange = AuthCodeExchange.objects.select_for_update().get(pk=exchange.pk)
        if exchange.corp_id is not None:
            return AuthorizedCorp.objects.get(pk=exchange.corp_id)
        corp, created = corp_authorize(suite=suite, result=result)
        corp_credentials_drop(corp=corp)  # tokens of an earlier install are void
        token = result.access_token
        age = (timezone.now() - (exchange.answered_at or timezone.now())).total_seconds()
        if token is not None and token.expires_in - age > 600:
            credential_store(
                kind=Credential.Kind.CORP,
                owner=corp,
                value=token.value,
                expires_in=int(token.expires_in - age),
            )
        if admins is not None:
            corp_admins_set(corp=corp, open_userids=admins)
        if result.register_code_info is not None:
            registration = register_code_link(
                code=result.register_code_info.register_code, provider=suite.provider, corp=corp
            )
            if registration is not None:
                transaction.on_commit(
                    lambda: register_contacts_finish(registration=registration), robust=True
                )
        exchange.corp = corp
        exchange.status = AuthCodeExchange.Status.INSTALLED
        exchange.answer = ""  # the permanent code now lives on the corp only
        exchange.save(update_fields=["corp", "status", "answer"])
        transaction.on_commit(lambda: _sync_later(corp), robust=True)
        transaction.on_commit(lambda: corp_app_state_refresh(corp=corp), robust=True)
        transaction.on_commit(lambda: _announce(corp, "corp.installed"), robust=True)
    log.info(
        "corp installed" if created else "corp re-installed",
        extra={"suite_id": suite.suite_id, "corpid": corp.corpid},
    )
    return corp


def _admins_at_install(suite: Suite, result: PermanentCode) -> list[str] | None:
    """The app's admins in the new corp, so the person who installed it is an admin from the
    start; None when WeCom cannot say now (a later change_app_admin or resync sets them)."""
    if not result.agents:
        return None
    try:
        admins = suite_api(suite).get_admin_list(
            auth_corpid=result.auth_corp_info.corpid, agentid=result.agents[0].agentid
        )
    except WeComError as error:
        log.warning("admin list unavailable at install", extra={"error": str(error)})
        return None
    return [admin.open_userid or admin.userid for admin in admins]


def corp_contacts_sync(*, corp: AuthorizedCorp) -> tuple[int, int]:
    """Pull the corp's departments and members (what the app may see) into the mirror;
    returns (departments, members). After an install, and from the console."""
    api = corp_api(corp)
    as_of = timezone.now().replace(microsecond=0)
    departments = api.department_list()
    root = min((d.id for d in departments), default=1)
    users = api.user_list(department_id=root, fetch_child=True)
    counts = contacts_replace(
        corp=corp,
        departments=[
            {"department_id": d.id, "name": d.name, "parent_id": d.parentid, "order": d.order}
            for d in departments
        ],
        members=[
            {
                "open_userid": u.open_userid or u.userid,
                "userid": u.userid,
                "name": u.name,
                "avatar": u.avatar,
                "gender": int(u.gender or 0),
                "position": u.position,
                "departments": list(u.departments),
                "status": u.status if u.status is not None else 1,
            }
            for u in users
        ],
        as_of=as_of,
    )
    log.info(
        "contacts synced",
        extra={"corpid": corp.corpid, "departments": counts[0], "members": counts[1]},
    )
    return counts


def register_contacts_finish(*, registration: RegisterCode) -> bool:
    """End a registered corp's contact migration, in the order WeCom requires: once the app is
    installed, set its visible scope (the whole corp) with the contact-sync token, then
    contact_sync_success, which unlocks the corp's contacts and ends the token. Runs after
    register_corp and after the install, whichever comes second; True when it is done."""
    registration.refresh_from_db()
    corp = registration.corp
    expires = registration.contact_sync_expires_at
    if not registration.contact_sync_token or registration.contacts_synced_at is not None:
        return registration.contacts_synced_at is not None
    if corp is None or corp.agentid is None:
        return False  # the install has not arrived yet
    if expires is not None and expires <= timezone.now():
        log.warning("contact-sync token expired", extra={"corpid": corp.corpid})
        return False
    api = wecom_client().contact_sync(registration.contact_sync_token)
    try:
        api.set_scope(agentid=corp.agentid, allow_party=[ROOT_DEPARTMENT])
        api.contact_sync_success()
    except WeComError as error:
        log.warning("contact migration failed", extra={"corpid": corp.corpid, "error": str(error)})
        return False
    registration.contact_sync_token, registration.contacts_synced_at = "", timezone.now()
    registration.save(update_fields=["contact_sync_token", "contacts_synced_at"])
    log.info("contact migration done", extra={"corpid": corp.corpid})
    return True


def _sync_later(corp: AuthorizedCorp) -> None:
    from tokens.tasks import sync_corp_contacts

    sync_corp_contacts.delay(corp.pk)


def corp_credentials_refresh(*, corp: AuthorizedCorp) -> int:
    """Fetch the corp token now, and the JS-SDK tickets it already uses; returns how many."""
    kinds = {Credential.Kind.CORP} | set(
        Credential.objects.filter(corp=corp).values_list("kind", flat=True)
    )
    for kind in sorted(kinds, key=lambda k: k != Credential.Kind.CORP):  # the token first
        credential_refresh(kind=kind, owner=corp, force=True)
    return len(kinds)


def corp_auth_refresh(*, corp: AuthorizedCorp) -> AuthorizedCorp:
    """Re-read what the corp authorized (after change_auth, or from the console)."""
    authorization = suite_api(corp.suite).get_auth_info(
        auth_corpid=corp.corpid, permanent_code=corp.permanent_code
    )
    corp = corp_auth_info_update(corp=corp, authorization=authorization)
    return corp_app_state_refresh(corp=corp)


def corp_app_state_refresh(*, corp: AuthorizedCorp) -> AuthorizedCorp:
    """Read the app's state in the corp where it has one (a 代开发 app: published, disabled).
    WeCom failing to answer keeps the last state known, and says so in the log."""
    try:
        state = kind_of(corp.suite).app_state(corp)
    except (WeComError, CredentialError) as error:
        log.warning("app state not read", extra={"corpid": corp.corpid, "error": str(error)})
        return corp
    if state is not None:
        corp.app_closed = state.closed
        corp.publish_status = None if state.publish_status is None else int(state.publish_status)
        corp.save(update_fields=["app_closed", "publish_status", "updated_at"])
    return corp


def corp_revoke(*, corp: AuthorizedCorp) -> AuthorizedCorp:
    """The corp uninstalled (or staff revoke it): cancelled, permanent code and credentials gone.
    No API call is made for it afterwards: the credential service refuses cancelled corps."""
    with transaction.atomic():
        corp = corp_cancel(corp=corp)
        dropped = corp_credentials_drop(corp=corp)
    log.info("corp cancelled", extra={"corpid": corp.corpid, "credentials_dropped": dropped})
    _announce(corp, "corp.cancelled")
    return corp


def _announce(corp: AuthorizedCorp, type: str) -> None:
    """corp.installed / corp.cancelled, once per install or cancellation (keyed by its time)."""
    at = (
        corp.cancelled_at
        if type == "corp.cancelled"
        else (corp.reactivated_at or corp.installed_at)
    )
    platform_event.send(
        sender=AuthorizedCorp,
        type=type,
        provider=corp.suite.provider,
        suite=corp.suite,
        corpid=corp.corpid,
        data={"corp_name": corp.corp_name, "agentid": corp.agentid,
              "edition_name": corp.edition_name, "at": at.isoformat() if at else None},
        key=f"{type}:{corp.pk}:{at.isoformat() if at else ''}",
    )  # fmt: skip


def corp_permanent_code_reset(*, suite: Suite, auth_code: str) -> AuthorizedCorp:
    """代开发 secret reset: exchange the new auth_code; the old code and tokens stop working."""
    return corp_install_by_auth_code(suite=suite, auth_code=auth_code)
