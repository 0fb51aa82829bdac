"""接口调用许可 (license) calls, made with the provider token (API.md §2.23).

Covered: ordering and renewing for one corp, order and account listing, activation, activation
queries, app license status, auto-activation and transfer between members. Multi-corp orders
(create_new_order_job, get_union_order, submit_pay_job) and sharing to downstream corps are not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from wecom.client.models import Json, opt_int
from wecom.client.scope import Scope, ignore

T = TypeVar("T")


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
    create_time: int | None = None
    pay_time: int | None = None

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
    """An account in an order or an activated account: type 1 base, 2 interop."""

    userid: str = ""
    type: int = 1
    active_code: str = ""
    active_time: int | None = None
    expire_time: int | None = None
    status: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> LicenseAccount:
        return cls(
            userid=str(data.get("userid", "")),
            type=int(data.get("type", 1)),
            active_code=str(data.get("active_code", "")),
            active_time=opt_int(data.get("active_time")),
            expire_time=opt_int(data.get("expire_time")),
            status=opt_int(data.get("status")),
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


def _page(cursor: str, limit: int | None) -> dict[str, Any]:
    return {k: v for k, v in (("cursor", cursor), ("limit", limit)) if v}


class LicenseAPI(Scope):
    auth_param = "provider_access_token"

    def _post(self, name: str, body: dict[str, Any], parse: Callable[[dict[str, Any]], T]) -> T:
        return self._call("POST", f"license/{name}", parse, json=body)

    def create_new_order(
        self,
        *,
        corpid: str,
        buyer_userid: str,
        base_count: int = 0,
        external_contact_count: int = 0,
        months: int = 0,
        days: int = 0,
    ) -> str:
        """Order accounts for one corp; returns the order_id. Duration 31..1860 days in all."""
        body = {
            "corpid": corpid,
            "buyer_userid": buyer_userid,
            "account_count": {
                "base_count": base_count,
                "external_contact_count": external_contact_count,
            },
            "account_duration": {"months": months, "days": days},
        }
        return str(self._post("create_new_order", body, lambda d: d["order_id"]))

    def create_renew_order_job(
        self, *, corpid: str, accounts: Sequence[tuple[str, int]], jobid: str = ""
    ) -> tuple[str, tuple[str, ...]]:
        """Add (userid, type) accounts to a renewal job; returns the jobid and refused userids."""
        body: dict[str, Any] = {
            "corpid": corpid,
            "account_list": [{"userid": u, "type": t} for u, t in accounts],
        }
        if jobid:
            body["jobid"] = jobid
        return self._post(
            "create_renew_order_job",
            body,
            lambda d: (
                str(d["jobid"]),
                tuple(str(a.get("userid", "")) for a in d.get("invalid_account_list") or ()),
            ),
        )

    def submit_order_job(
        self, *, jobid: str, buyer_userid: str, months: int = 0, new_expire_time: int | None = None
    ) -> str:
        duration = {"new_expire_time": new_expire_time} if new_expire_time else {"months": months}
        body = {"jobid": jobid, "buyer_userid": buyer_userid, "account_duration": duration}
        return str(self._post("submit_order_job", body, lambda d: d["order_id"]))

    def list_order(
        self,
        *,
        corpid: str = "",
        start_time: int | None = None,
        end_time: int | None = None,
        cursor: str = "",
        limit: int | None = None,
    ) -> OrderPage:
        body = {
            k: v
            for k, v in (("corpid", corpid), ("start_time", start_time), ("end_time", end_time))
            if v
        }
        return self._post("list_order", {**body, **_page(cursor, limit)}, OrderPage.from_json)

    def get_order(self, *, order_id: str) -> Order:
        return self._post(
            "get_order", {"order_id": order_id}, lambda d: Order.from_json(d["order"])
        )

    def list_order_account(
        self, *, order_id: str, cursor: str = "", limit: int | None = None
    ) -> AccountPage:
        body = {"order_id": order_id, **_page(cursor, limit)}
        return self._post("list_order_account", body, AccountPage.from_json)

    def cancel_order(self, *, corpid: str, order_id: str) -> None:
        self._post("cancel_order", {"corpid": corpid, "order_id": order_id}, ignore)

    def active_account(self, *, active_code: str, corpid: str, userid: str) -> None:
        body = {"active_code": active_code, "corpid": corpid, "userid": userid}
        self._post("active_account", body, ignore)

    def batch_active_account(
        self, *, corpid: str, activations: Sequence[tuple[str, str]]
    ) -> tuple[ItemResult, ...]:
        """Activate (active_code, userid) pairs, at most 1000; one result per code."""
        body = {
            "corpid": corpid,
            "active_list": [{"active_code": c, "userid": u} for c, u in activations],
        }
        return self._post(
            "batch_active_account",
            body,
            lambda d: ItemResult.list_from_json(d.get("active_result"), "active_code"),
        )

    def get_active_info_by_code(self, *, corpid: str, active_code: str) -> LicenseAccount:
        return self._post(
            "get_active_info_by_code",
            {"corpid": corpid, "active_code": active_code},
            lambda d: LicenseAccount.from_json(d["active_info"]),
        )

    def get_active_info_by_user(self, *, corpid: str, userid: str) -> tuple[LicenseAccount, ...]:
        """The member's active accounts; empty when it has none (active_status 0)."""
        return self._post(
            "get_active_info_by_user",
            {"corpid": corpid, "userid": userid},
            lambda d: tuple(LicenseAccount.from_json(a) for a in d.get("active_info_list") or ()),
        )

    def list_actived_account(
        self, *, corpid: str, cursor: str = "", limit: int | None = None
    ) -> AccountPage:
        body = {"corpid": corpid, **_page(cursor, limit)}
        return self._post("list_actived_account", body, AccountPage.from_json)

    def get_app_license_info(self, *, corpid: str, suite_id: str) -> AppLicenseInfo:
        return self._post(
            "get_app_license_info",
            {"corpid": corpid, "suite_id": suite_id},
            AppLicenseInfo.from_json,
        )

    def set_auto_active_status(self, *, corpid: str, enabled: bool) -> None:
        body = {"corpid": corpid, "auto_active_status": int(enabled)}
        self._post("set_auto_active_status", body, ignore)

    def get_auto_active_status(self, *, corpid: str) -> bool:
        return self._post(
            "get_auto_active_status",
            {"corpid": corpid},
            lambda d: bool(int(d["auto_active_status"])),
        )

    def batch_transfer_license(
        self, *, corpid: str, transfers: Sequence[tuple[str, str]]
    ) -> tuple[ItemResult, ...]:
        """Move accounts from leaving members to their successors: (handover, takeover)."""
        body = {
            "corpid": corpid,
            "transfer_list": [{"handover_userid": h, "takeover_userid": t} for h, t in transfers],
        }
        return self._post(
            "batch_transfer_license",
            body,
            lambda d: ItemResult.list_from_json(d.get("transfer_result"), "handover_userid"),
        )
