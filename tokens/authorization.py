"""A tenant's authorization lifecycle: the services that change a corp and its credentials
together. The callback handlers, the install-done redirect and the console all use these."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction

from corps.contacts import contacts_replace
from corps.models import AuthorizedCorp, Suite
from corps.services import corp_auth_info_update, corp_authorize, corp_cancel, register_code_link
from tokens.models import AuthCodeExchange, Credential
from tokens.services import (
    corp_api,
    corp_credentials_drop,
    credential_refresh,
    credential_store,
    suite_api,
)

log = logging.getLogger(__name__)


def corp_install_by_auth_code(*, suite: Suite, auth_code: str) -> AuthorizedCorp:
    """Exchange an install auth_code for the permanent code and store the tenant, once.

    The exchange row is locked across the upstream call, so a second arrival of the same code
    (a redelivered create_auth, or the install-done redirect) waits and reuses the corp.
    """
    digest = hashlib.sha256(auth_code.encode()).hexdigest()
    AuthCodeExchange.objects.get_or_create(code_digest=digest, defaults={"suite": suite})
    with transaction.atomic():
        # Lock the exchange row alone: PostgreSQL refuses FOR UPDATE across the outer join
        # that select_related("corp") would add.
        exchange = AuthCodeExchange.objects.select_for_update().get(code_digest=digest)
        if exchange.corp_id is not None:
            return AuthorizedCorp.objects.get(pk=exchange.corp_id)
        result = suite_api(suite).get_permanent_code(auth_code=auth_code)
        corp, created = corp_authorize(suite=suite, result=result)
        corp_credentials_drop(corp=corp)  # tokens of an earlier install are void
        if result.access_token is not None:
            credential_store(
                kind=Credential.Kind.CORP,
                owner=corp,
                value=result.access_token.value,
                expires_in=result.access_token.expires_in,
            )
        if result.register_code_info is not None:
            register_code_link(code=result.register_code_info.register_code, corp=corp)
        exchange.corp = corp
        exchange.save(update_fields=["corp"])
        transaction.on_commit(lambda: _sync_later(corp), robust=True)
    log.info(
        "corp installed" if created else "corp re-installed",
        extra={"suite_id": suite.suite_id, "corpid": corp.corpid},
    )
    return corp


def corp_contacts_sync(*, corp: AuthorizedCorp) -> tuple[int, int]:
    """Pull the corp's departments and members (what the app may see) into the mirror;
    returns (departments, members). After an install, and from the console."""
    api = corp_api(corp)
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
    )
    log.info(
        "contacts synced",
        extra={"corpid": corp.corpid, "departments": counts[0], "members": counts[1]},
    )
    return counts


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
    return corp_auth_info_update(corp=corp, authorization=authorization)


def corp_revoke(*, corp: AuthorizedCorp) -> AuthorizedCorp:
    """The corp uninstalled (or staff revoke it): cancelled, permanent code and credentials gone.
    No API call is made for it afterwards: the credential service refuses cancelled corps."""
    with transaction.atomic():
        corp = corp_cancel(corp=corp)
        dropped = corp_credentials_drop(corp=corp)
    log.info("corp cancelled", extra={"corpid": corp.corpid, "credentials_dropped": dropped})
    return corp


def corp_permanent_code_reset(*, suite: Suite, auth_code: str) -> AuthorizedCorp:
    """代开发 secret reset: exchange the new auth_code; the old code and tokens stop working."""
    return corp_install_by_auth_code(suite=suite, auth_code=auth_code)
