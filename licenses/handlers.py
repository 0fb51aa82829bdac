"""The licence events (wecom.license_events) in the callback dispatch table: each syncs what it
names from WeCom, then goes to the ``app_event`` signal like every handled event."""

from __future__ import annotations

from callbacks import handlers
from callbacks.handlers import Handler, active_install, to_extension_point
from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp
from licenses import policies
from licenses.models import ActiveCode
from licenses.services import code_store, corp_license_sync, order_sync, unlicensed_record
from wecom import events as ev
from wecom.client.license_models import LicenseAccount
from wecom.license_events import (
    AutoActivate,
    LicenseOrderEvent,
    LicensePaySuccess,
    LicenseRefund,
    UnlicensedNotify,
)


def _installs(record: CallbackEvent, corpid: str) -> list[AuthorizedCorp]:
    corps = AuthorizedCorp.objects.filter(corpid=corpid, status=AuthorizedCorp.Status.ACTIVE)
    if record.provider is not None:
        corps = corps.filter(suite__provider=record.provider)
    return list(corps.select_related("suite__provider"))


def on_license_order(record: CallbackEvent, event: LicenseOrderEvent) -> None:
    """license_pay_success and license_refund: the order and its codes as WeCom has them now."""
    if record.provider is not None:
        order_sync(record.provider, event.order_id)
        for corp in _installs(record, event.auth_corpid):
            corp_license_sync(corp)
    to_extension_point(record, event)


def on_auto_activate(record: CallbackEvent, event: AutoActivate) -> None:
    if record.provider is not None:
        for account in event.accounts:
            info = LicenseAccount(
                userid=account.userid, type=account.type, active_code=account.active_code,
                expire_time=account.expire_time, active_time=event.timestamp,
                status=ActiveCode.Status.BOUND,
            )  # fmt: skip
            code_store(record.provider, event.auth_corpid, info, source=ActiveCode.Source.AUTO)
    to_extension_point(record, event)


def on_unlicensed_notify(record: CallbackEvent, event: UnlicensedNotify) -> None:
    if corp := active_install(record, event.corpid):
        unlicensed_record(corp, event.from_user)
    to_extension_point(record, event)


def on_subscribe(record: CallbackEvent, event: ev.Subscribe) -> None:
    """The app became visible to a member: the policy may activate an account for them."""
    if corp := active_install(record, event.corpid):
        policies.on_subscribe(corp, event.from_user)
    to_extension_point(record, event)


def on_user_deleted(record: CallbackEvent, event: ev.UserDeleted) -> None:
    """The mirror forgets the member; the policy may pass their account on."""
    handlers.on_user_deleted(record, event)
    if corp := active_install(record, event.auth_corpid):
        policies.on_leave(corp, event.open_userid or "", event.userid)


LICENSE_HANDLERS: dict[type, Handler] = {
    LicensePaySuccess: on_license_order,
    LicenseRefund: on_license_order,
    AutoActivate: on_auto_activate,
    UnlicensedNotify: on_unlicensed_notify,
    ev.Subscribe: on_subscribe,
    ev.UserDeleted: on_user_deleted,
}
