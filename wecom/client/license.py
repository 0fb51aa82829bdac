"""接口调用许可 (licence) calls, made with the provider token (API.md §2.23,
API-business.md §1): orders for one corp or many, payment from the balance, renewals, active
codes and their activation, transfer and sharing, auto-activation and the app's licence state.
Refusals are 701xxx errors raised as LicenseError subclasses (wecom.client.errors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from wecom.client.license_models import (
    AccountPage,
    AppLicenseInfo,
    BuyItem,
    CorpFailure,
    ItemResult,
    JobResult,
    LicenseAccount,
    Order,
    OrderPage,
    UnionOrder,
)
from wecom.client.scope import Scope, ignore

T = TypeVar("T")


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

    def active_account_by_type(self, *, corpid: str, userid: str, type: int = 1) -> None:
        """Bind the corp's free code of ``type`` with the earliest deadline (701072: none)."""
        body = {"corpid": corpid, "userid": userid, "type": type}
        self._post("active_account_by_type", body, ignore)

    def batch_get_active_info_by_code(
        self, *, corpid: str, active_codes: Sequence[str]
    ) -> tuple[tuple[LicenseAccount, ...], tuple[str, ...]]:
        """The state of up to 1000 codes, and the codes WeCom does not know."""
        body = {"corpid": corpid, "active_code_list": list(active_codes)}
        return self._post(
            "batch_get_active_info_by_code",
            body,
            lambda d: (
                tuple(LicenseAccount.from_json(a) for a in d.get("active_info_list") or ()),
                tuple(str(c) for c in d.get("invalid_active_code_list") or ()),
            ),
        )

    def batch_share_active_code(
        self, *, from_corpid: str, to_corpid: str, active_codes: Sequence[str], link_type: int = 0
    ) -> tuple[ItemResult, ...]:
        """Share unbound codes to a downstream (0) or linked (1) corp; only failures return."""
        body = {
            "from_corpid": from_corpid,
            "to_corpid": to_corpid,
            "share_list": [{"active_code": c} for c in active_codes],
            "corp_link_type": link_type,
        }
        return self._post(
            "batch_share_active_code",
            body,
            lambda d: ItemResult.list_from_json(d.get("share_result"), "active_code"),
        )

    # --- multi-corp orders and payment from the balance ---------------------------------------

    def create_new_order_job(
        self, *, items: Sequence[BuyItem], jobid: str = ""
    ) -> tuple[str, tuple[CorpFailure, ...]]:
        """Add up to 10 corps to a multi-corp order job; the jobid and the corps refused."""
        body: dict[str, Any] = {"buy_list": [item.to_json() for item in items]}
        if jobid:
            body["jobid"] = jobid
        return self._post(
            "create_new_order_job",
            body,
            lambda d: (str(d["jobid"]), CorpFailure.list_from_json(d.get("invalid_list"))),
        )

    def submit_new_order_job(self, *, jobid: str, buyer_userid: str) -> None:
        body = {"jobid": jobid, "buyer_userid": buyer_userid}
        self._post("submit_new_order_job", body, ignore)

    def new_order_job_result(self, *, jobid: str) -> JobResult:
        return self._post("new_order_job_result", {"jobid": jobid}, JobResult.from_order_job)

    def get_union_order(
        self, *, order_id: str, cursor: str = "", limit: int | None = None
    ) -> UnionOrder:
        body = {"order_id": order_id, **_page(cursor, limit)}
        return self._post("get_union_order", body, UnionOrder.from_json)

    def submit_pay_job(self, *, order_id: str, payer_userid: str) -> str:
        """Pay an order from the provider's balance; returns the jobid to poll."""
        body = {"order_id": order_id, "payer_userid": payer_userid}
        return str(self._post("submit_pay_job", body, lambda d: d["jobid"]))

    def pay_job_result(self, *, jobid: str) -> JobResult:
        """errcode 0 even when the payment failed: read ``status`` and ``errcode``."""
        return self._post("pay_job_result", {"jobid": jobid}, JobResult.from_pay_job)

    def get_account_balance(self) -> int:
        """The provider's top-up balance, in fen."""
        return self._call("GET", "service/get_account_balance", lambda d: int(d["balance"]))
