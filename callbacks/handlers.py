"""What each event does to the tenant. One handler per event type, looked up in ``HANDLERS``;
every handler is idempotent, because an event can be processed again after a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from callbacks.models import CallbackEvent
from callbacks.signals import app_event
from corps.contacts import (
    corp_admins_set,
    department_delete,
    department_upsert,
    member_change_apply,
    member_delete,
)
from corps.models import AuthorizedCorp
from corps.services import register_code_link, suite_ticket_store
from tokens.authorization import (
    corp_auth_refresh,
    corp_install_by_auth_code,
    corp_permanent_code_reset,
    corp_revoke,
    register_contacts_finish,
)
from tokens.services import corp_api
from wecom import events as ev
from wecom.customer_events import CUSTOMER_CHANGES
from wecom.platform_events import (
    PLATFORM_APP_EVENTS,
    PLATFORM_INFO_TYPES,
    PLATFORM_SYSTEM_INFO_TYPES,
)


class CorpNotYetKnown(LookupError):
    """An event names a corp whose install has not been processed yet; retried later."""


def _tenant(record: CallbackEvent, corpid: str) -> AuthorizedCorp | None:
    """The active tenant the event is about, or None if it has cancelled (then the event has
    nothing left to change). Links the event row to it."""
    corp = AuthorizedCorp.objects.filter(suite=record.suite, corpid=corpid).first()
    if corp is None:
        raise CorpNotYetKnown(f"no tenant {corpid} for suite {record.suite_id}")
    if record.corp_id != corp.pk:
        CallbackEvent.objects.filter(pk=record.pk).update(corp=corp)
    return corp if corp.is_active else None


def active_install(record: CallbackEvent, corpid: str) -> AuthorizedCorp | None:
    """The active install an event is about, or None (unknown, or cancelled): for handlers
    outside this module, which leave an unknown corp alone rather than retry."""
    corp = record.corp
    if corp is None and record.suite is not None:
        corp = AuthorizedCorp.objects.filter(suite=record.suite, corpid=corpid).first()
    return corp if corp is not None and corp.is_active else None


def on_suite_ticket(record: CallbackEvent, event: ev.SuiteTicket) -> None:
    assert record.suite is not None
    pushed_at = datetime.fromtimestamp(event.timestamp, UTC)
    suite_ticket_store(suite=record.suite, ticket=event.suite_ticket, pushed_at=pushed_at)


def on_create_auth(record: CallbackEvent, event: ev.CreateAuth) -> None:
    assert record.suite is not None
    corp = corp_install_by_auth_code(suite=record.suite, auth_code=event.auth_code)
    CallbackEvent.objects.filter(pk=record.pk).update(corp=corp, corpid=corp.corpid)


def on_reset_permanent_code(record: CallbackEvent, event: ev.ResetPermanentCode) -> None:
    assert record.suite is not None
    corp = corp_permanent_code_reset(suite=record.suite, auth_code=event.auth_code)
    CallbackEvent.objects.filter(pk=record.pk).update(corp=corp, corpid=corp.corpid)


def on_change_auth(record: CallbackEvent, event: ev.ChangeAuth) -> None:
    if corp := _tenant(record, event.auth_corpid):
        corp_auth_refresh(corp=corp)


def on_cancel_auth(record: CallbackEvent, event: ev.CancelAuth) -> None:
    if corp := _tenant(record, event.auth_corpid):
        corp_revoke(corp=corp)


def _changed_at(event: ev.ContactEvent) -> datetime:
    return datetime.fromtimestamp(event.timestamp, UTC)


def on_user_changed(record: CallbackEvent, event: ev.UserEvent) -> None:
    if corp := _tenant(record, event.auth_corpid):
        new_userid = getattr(event, "new_userid", None)
        member_change_apply(
            corp=corp,
            open_userid=event.open_userid or event.userid,
            changed_at=_changed_at(event),
            userid=new_userid or event.userid,
            name=event.name,
            avatar=event.avatar,
            gender=event.gender,
            position=event.position,
            departments=list(event.departments) if event.departments is not None else None,
            status=event.status,
        )


def on_user_deleted(record: CallbackEvent, event: ev.UserDeleted) -> None:
    if corp := _tenant(record, event.auth_corpid):
        member_delete(
            corp=corp,
            open_userid=event.open_userid or event.userid,
            changed_at=_changed_at(event),
        )


def on_party_changed(record: CallbackEvent, event: ev.PartyCreated | ev.PartyUpdated) -> None:
    if corp := _tenant(record, event.auth_corpid):
        order = getattr(event, "order", None)
        department_upsert(
            corp=corp,
            department_id=event.id,
            name=event.name,
            parent_id=event.parent_id,
            order=order,
        )


def on_party_deleted(record: CallbackEvent, event: ev.PartyDeleted) -> None:
    if corp := _tenant(record, event.auth_corpid):
        department_delete(corp=corp, department_id=event.id)


def on_register_corp(record: CallbackEvent, event: ev.RegisterCorp) -> None:
    if record.provider is None:  # system events arrive on a provider's URL
        return
    sync = event.contact_sync
    registration = register_code_link(
        code=event.register_code,
        provider=record.provider,
        corpid=event.auth_corpid,
        contact_sync=(sync.access_token, sync.expires_in) if sync else None,
    )
    if registration is not None:
        register_contacts_finish(registration=registration)


def on_change_app_admin(record: CallbackEvent, event: ev.ChangeAppAdmin) -> None:
    if corp := _tenant(record, event.corpid):
        admins = corp_api(corp).get_admin_list(agentid=corp.agentid)
        corp_admins_set(corp=corp, open_userids=[a.open_userid or a.userid for a in admins])


def to_extension_point(record: CallbackEvent, event: ev.Event) -> None:
    """Events the ISV's own code reacts to (see callbacks.signals)."""
    corp = record.corp
    if corp is None and record.suite is not None and record.corpid:
        corp = AuthorizedCorp.objects.filter(suite=record.suite, corpid=record.corpid).first()
    app_event.send(sender=CallbackEvent, event=event, corp=corp, record=record)


Handler = Callable[[CallbackEvent, Any], None]

HANDLERS: dict[type[ev.Event], Handler] = {
    ev.SuiteTicket: on_suite_ticket,
    ev.CreateAuth: on_create_auth,
    ev.ChangeAuth: on_change_auth,
    ev.CancelAuth: on_cancel_auth,
    ev.ResetPermanentCode: on_reset_permanent_code,
    ev.UserCreated: on_user_changed,
    ev.UserUpdated: on_user_changed,
    ev.UserDeleted: on_user_deleted,
    ev.PartyCreated: on_party_changed,
    ev.PartyUpdated: on_party_changed,
    ev.PartyDeleted: on_party_deleted,
    ev.RegisterCorp: on_register_corp,
    ev.ChangeAppAdmin: on_change_app_admin,
    ev.TagUpdated: to_extension_point,  # tags are not mirrored; the ISV may care
    ev.EnterRegisterPackage: to_extension_point,
    ev.EnterAgent: to_extension_point,
    ev.Subscribe: to_extension_point,
    ev.Unsubscribe: to_extension_point,
    ev.TextMessage: to_extension_point,
    # Nothing of ours to change, but the ISV hears of them (with their parsed fields).
    **{
        kind: to_extension_point
        for table in (PLATFORM_INFO_TYPES, PLATFORM_SYSTEM_INFO_TYPES, PLATFORM_APP_EVENTS)
        for kind, _parser in table.values()
    },
    **{kind: to_extension_point for kind, _parser in CUSTOMER_CHANGES.values()},  # 客户联系
    ev.UnknownEvent: to_extension_point,  # whatever WeCom adds: stored, acknowledged, heard
}
