"""Paid-edition order events on the command URL (API-business.md §3.3): a corp opened, changed,
paid, was refunded or cancelled an order of the app, or its edition changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wecom.event_fields import FieldReader, ParserEntry, SuiteEvent, suite_fields


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(SuiteEvent):
    """open_order, pay_for_app_success, refund and cancel_order: re-read the order."""

    paid_corpid: str
    order_id: str
    operator_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeOrder(SuiteEvent):
    """The order's price changed: it now goes by ``new_order_id``."""

    paid_corpid: str
    old_order_id: str
    new_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeEdition(SuiteEvent):
    """change_editon (WeCom's spelling): re-read the corp's edition with get_auth_info."""

    paid_corpid: str


def _order(r: FieldReader) -> dict[str, Any]:
    return {
        **suite_fields(r),
        "paid_corpid": r.text("PaidCorpId"),
        "order_id": r.text("OrderId"),
        "operator_id": r.text("OperatorId", ""),
    }


def _change_order(r: FieldReader) -> dict[str, Any]:
    return {
        **suite_fields(r),
        "paid_corpid": r.text("PaidCorpId"),
        "old_order_id": r.text("OldOrderId"),
        "new_order_id": r.text("NewOrderId"),
    }


def _change_edition(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "paid_corpid": r.text("PaidCorpId")}


ORDER_INFO_TYPES: dict[str, ParserEntry] = {
    "open_order": (OrderEvent, _order),
    "pay_for_app_success": (OrderEvent, _order),
    "refund": (OrderEvent, _order),
    "cancel_order": (OrderEvent, _order),
    "change_order": (ChangeOrder, _change_order),
    "change_editon": (ChangeEdition, _change_edition),
}
