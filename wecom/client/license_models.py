"""The 接口调用许可 (licence) API's answers as typed values (API-business.md §1.2–§1.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wecom.client.models import Json, opt_int


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    order_type: int
    order_status: int | None = None  # 0 unpaid, 1 paid, 2 cancelled, 3 expired, 4-7 refunds
    corpid: str = ""
    price: int | None = None  # fen
    base_count: int = 0
    external_contact_count: int = 0
    months: int = 0
    days: int = 0
    new_expire_time: int | None = None  # renewals to a date instead of a duration
    create_time: int | None = None
    pay_time: int | None = None

    @property
    def is_renewal(self) -> bool:
        return self.order_type == 2

    @classmethod
    def from_json(cls, data: Json) -> Order:
        count = data.get("account_count") or {}
        duration = data.get("account_duration") or {}
        return cls(
            order_id=str(data["order_id"]),
            order_type=int(data.get("order_type", 0)),
            order_status=opt_int(data.get("order_status")),
            corpid=str(data.get("corpid", "")),
            price=opt_int(data.get("price")),
            base_count=int(count.get("base_count", 0)),
            external_contact_count=int(count.get("external_contact_count", 0)),
            months=int(duration.get("months", 0)),
            days=int(duration.get("days", 0)),
            new_expire_time=opt_int(duration.get("new_expire_time")),
            create_time=opt_int(data.get("create_time")),
            pay_time=opt_int(data.get("pay_time")),
        )


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[Order, ...]
    next_cursor: str = ""
    has_more: bool = False

    @classmethod
    def from_json(cls, data: Json) -> OrderPage:
        return cls(
            orders=tuple(Order.from_json(o) for o in data.get("order_list") or ()),
            next_cursor=str(data.get("next_cursor", "")),
            has_more=bool(data.get("has_more", False)),
        )


@dataclass(frozen=True, slots=True)
class LicenseAccount:
    """An account in an order, an activated account, or an active code's state (active_info).

    type 1 base, 2 interop; status 1 unbound, 2 bound and valid, 3 expired, 4 pending transfer,
    5 merged into another code, 6 shared to a downstream corp."""

    userid: str = ""
    type: int = 1
    active_code: str = ""
    create_time: int | None = None
    active_time: int | None = None
    expire_time: int | None = None
    status: int | None = None
    merged_into: str = ""
    shared_to: str = ""
    shared_from: str = ""

    @classmethod
    def from_json(cls, data: Json) -> LicenseAccount:
        merge = data.get("merge_info") or {}
        share = data.get("share_info") or {}
        return cls(
            userid=str(data.get("userid", "")),
            type=int(data.get("type", 1)),
            active_code=str(data.get("active_code", "")),
            create_time=opt_int(data.get("create_time")),
            active_time=opt_int(data.get("active_time")),
            expire_time=opt_int(data.get("expire_time")),
            status=opt_int(data.get("status")),
            merged_into=str(merge.get("to_active_code", "")),
            shared_to=str(share.get("to_corpid", "")),
            shared_from=str(share.get("from_corpid", "")),
        )


@dataclass(frozen=True, slots=True)
class AccountPage:
    accounts: tuple[LicenseAccount, ...]
    next_cursor: str = ""
    has_more: bool = False

    @classmethod
    def from_json(cls, data: Json) -> AccountPage:
        return cls(
            accounts=tuple(LicenseAccount.from_json(a) for a in data.get("account_list") or ()),
            next_cursor=str(data.get("next_cursor", "")),
            has_more=bool(data.get("has_more", False)),
        )


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One row of a batch call: which item, and WeCom's errcode for it."""

    key: str
    errcode: int

    @classmethod
    def list_from_json(cls, rows: Any, key: str) -> tuple[ItemResult, ...]:
        return tuple(
            cls(key=str(r.get(key, "")), errcode=int(r.get("errcode", 0))) for r in rows or ()
        )


@dataclass(frozen=True, slots=True)
class AppLicenseInfo:
    license_status: int  # 0 license checks off, 1 on
    trial_start_time: int | None = None
    trial_end_time: int | None = None
    license_check_time: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> AppLicenseInfo:
        trial = data.get("trail_info") or {}  # sic: WeCom spells it "trail"
        return cls(
            license_status=int(data["license_status"]),
            trial_start_time=opt_int(trial.get("start_time")),
            trial_end_time=opt_int(trial.get("end_time")),
            license_check_time=opt_int(data.get("license_check_time")),
        )


@dataclass(frozen=True, slots=True)
class SubOrder:
    """One corp's part of a multi-corp order; its id lists the codes (list_order_account)."""

    sub_order_id: str
    corpid: str
    base_count: int = 0
    external_contact_count: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def from_json(cls, data: Json) -> SubOrder:
        count = data.get("account_count") or {}
        duration = data.get("account_duration") or {}
        return cls(
            sub_order_id=str(data["sub_order_id"]),
            corpid=str(data.get("corpid", "")),
            base_count=int(count.get("base_count", 0)),
            external_contact_count=int(count.get("external_contact_count", 0)),
            months=int(duration.get("months", 0)),
            days=int(duration.get("days", 0)),
        )


@dataclass(frozen=True, slots=True)
class UnionOrder:
    order: Order
    sub_orders: tuple[SubOrder, ...]
    next_cursor: str = ""
    has_more: bool = False

    @classmethod
    def from_json(cls, data: Json) -> UnionOrder:
        return cls(
            order=Order.from_json(data["order"]),
            sub_orders=tuple(SubOrder.from_json(s) for s in data.get("buy_list") or ()),
            next_cursor=str(data.get("next_cursor", "")),
            has_more=bool(data.get("has_more", False)),
        )


@dataclass(frozen=True, slots=True)
class CorpFailure:
    corpid: str
    errcode: int
    errmsg: str = ""

    @classmethod
    def list_from_json(cls, rows: Any) -> tuple[CorpFailure, ...]:
        return tuple(
            cls(str(r.get("corpid", "")), int(r.get("errcode", 0)), str(r.get("errmsg", "")))
            for r in rows or ()
        )


@dataclass(frozen=True, slots=True)
class JobResult:
    """A multi-corp order job or a payment job: status 1 done (created / paid), 2 running,
    3 failed; the order it made, and the corps that failed."""

    status: int
    order_id: str = ""
    errcode: int = 0
    failures: tuple[CorpFailure, ...] = ()

    @classmethod
    def from_order_job(cls, data: Json) -> JobResult:
        return cls(
            status=int(data["status"]),
            order_id=str(data.get("order_id", "")),
            failures=CorpFailure.list_from_json(data.get("fail_list")),
        )

    @classmethod
    def from_pay_job(cls, data: Json) -> JobResult:
        result = data.get("pay_job_result") or {}
        return cls(
            status=int(data["status"]),
            errcode=int(result.get("errcode", 0)),
            failures=CorpFailure.list_from_json(result.get("fail_corp_list")),
        )


@dataclass(frozen=True, slots=True)
class BuyItem:
    """One corp of a multi-corp order."""

    corpid: str
    base_count: int = 0
    external_contact_count: int = 0
    months: int = 0
    days: int = 0
    auto_active: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "corpid": self.corpid,
            "account_count": {
                "base_count": self.base_count,
                "external_contact_count": self.external_contact_count,
            },
            "account_duration": {"months": self.months, "days": self.days},
            "auto_active_status": int(self.auto_active),
        }
