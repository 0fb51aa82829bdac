"""Licence (接口许可) callbacks as typed events (API-business.md §1.4): payment and refund of an
order and automatic activation on the system-event URL, an unlicensed member opening the app on
the data URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wecom.event_fields import (
    AppEvent,
    FieldReader,
    InvalidEvent,
    ParserEntry,
    SystemEvent,
    app_fields,
    system_fields,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseOrderEvent(SystemEvent):
    auth_corpid: str
    order_id: str  # a multi-corp order's sub-order id


@dataclass(frozen=True, slots=True, kw_only=True)
class LicensePaySuccess(LicenseOrderEvent):
    """The order is paid and its active codes exist: sync them."""

    buyer_userid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseRefund(LicenseOrderEvent):
    """order_status 1: refunded (its codes are void); 2: refund rejected."""

    order_status: int

    @property
    def refunded(self) -> bool:
        return self.order_status == 1


@dataclass(frozen=True, slots=True)
class AutoActivatedAccount:
    """previous_status 1 unlicensed, 2 licensed with ≤ 7 days left, 3 expired."""

    active_code: str
    type: int
    expire_time: int
    userid: str
    previous_status: int | None = None
    previous_active_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoActivate(SystemEvent):
    """WeCom activated codes by itself. scene 1: the member opened the app; 2: the provider
    messaged them; 3: the provider called an interop API for them."""

    auth_corpid: str
    scene: int
    accounts: tuple[AutoActivatedAccount, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlicensedNotify(AppEvent):
    """A member without a licence opened the app (``from_user`` is their userid)."""


def _order(r: FieldReader) -> dict[str, Any]:
    return {**system_fields(r), "auth_corpid": r.text("AuthCorpId"), "order_id": r.text("OrderId")}


def _pay_success(r: FieldReader) -> dict[str, Any]:
    return {**_order(r), "buyer_userid": r.text("BuyerUserId", "")}


def _refund(r: FieldReader) -> dict[str, Any]:
    return {**_order(r), "order_status": r.integer("OrderStatus")}


def _account(r: FieldReader) -> AutoActivatedAccount:
    return AutoActivatedAccount(
        active_code=r.text("ActiveCode"),
        type=r.integer("Type"),
        expire_time=r.integer("ExpireTime"),
        userid=r.text("UserId"),
        previous_status=r.opt_int("PreviousStatus"),
        previous_active_code=r.text("PreviousActiveCode", ""),
    )


def _auto_activate(r: FieldReader) -> dict[str, Any]:
    """AccountList is one element per account; several accounts repeat it (or nest several
    entries in one list element), and both shapes are read."""
    raw = r.fields.get("AccountList")
    items = raw if isinstance(raw, tuple) else (raw,) if raw is not None else ()
    accounts = []
    for item in items:
        reader = FieldReader({"AccountList": item}).mapping("AccountList")
        if reader is None:
            raise InvalidEvent("AccountList must contain elements")
        accounts.append(_account(reader))
    return {
        **system_fields(r),
        "auth_corpid": r.text("AuthCorpId"),
        "scene": r.integer("Scene"),
        "accounts": tuple(accounts),
    }


LICENSE_SYSTEM_INFO_TYPES: dict[str, ParserEntry] = {
    "license_pay_success": (LicensePaySuccess, _pay_success),
    "license_refund": (LicenseRefund, _refund),
    "auto_activate": (AutoActivate, _auto_activate),
}

LICENSE_APP_EVENTS: dict[str, ParserEntry] = {
    "unlicensed_notify": (UnlicensedNotify, app_fields),
}
