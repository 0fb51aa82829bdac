"""The order events (wecom.order_events) in the callback dispatch table: the order is re-read
from WeCom, the corp's edition re-read when it may have changed, then ``app_event``."""

from __future__ import annotations

from billing.models import AppOrder
from billing.services import edition_refresh, order_sync
from callbacks.handlers import Handler, active_install, to_extension_point
from callbacks.models import CallbackEvent
from wecom.order_events import ChangeEdition, ChangeOrder, OrderEvent

CHANGES_EDITION = {"pay_for_app_success", "refund"}


def on_order(record: CallbackEvent, event: OrderEvent) -> None:
    if record.suite is not None:
        order_sync(record.suite, event.order_id)
        if event.kind in CHANGES_EDITION and (corp := active_install(record, event.paid_corpid)):
            edition_refresh(corp)
    to_extension_point(record, event)


def on_change_order(record: CallbackEvent, event: ChangeOrder) -> None:
    if record.suite is not None:
        order_sync(record.suite, event.new_order_id)
        old = AppOrder.objects.filter(order_id=event.old_order_id)
        old.update(replaced_by=event.new_order_id)
    to_extension_point(record, event)


def on_change_edition(record: CallbackEvent, event: ChangeEdition) -> None:
    if record.suite is not None and (corp := active_install(record, event.paid_corpid)):
        edition_refresh(corp)
    to_extension_point(record, event)


ORDER_HANDLERS: dict[type, Handler] = {
    OrderEvent: on_order,
    ChangeOrder: on_change_order,
    ChangeEdition: on_change_edition,
}
