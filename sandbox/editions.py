"""Paid editions (应用版本付费) in the sandbox: a price list, the orders corps place, and the
suite endpoints that read them (service/get_order, get_order_list) or extend a trial
(service/prolong_try), with WeCom's rules: a trial is extended only from a trial (app_status 1
or 2) and to 60 days in all."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call
    from sandbox.engine import Authorization

DAY = 86400
TRIAL_DAYS, MAX_TRIAL_DAYS = 15, 60
# edition id → (name, fen per seat and day): the sandbox's own price list
EDITIONS = {"SANDBOX-BASIC": ("基础版", 10), "SANDBOX-PRO": ("专业版", 20)}
UNPAID, PAID, CANCELLED, REFUNDED = 0, 1, 2, 5


@dataclass
class EditionOrder:
    order_id: str
    suite_id: str
    corpid: str
    edition_id: str
    user_count: int
    days: int
    order_time: int
    operator_id: str
    status: int = UNPAID
    paid_time: int | None = None
    begin_time: int | None = None
    end_time: int | None = None

    @property
    def price(self) -> int:
        return EDITIONS[self.edition_id][1] * self.user_count * self.days

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "orderid": self.order_id, "order_status": self.status, "order_type": 0,
            "paid_corpid": self.corpid, "operator_id": self.operator_id,
            "suiteid": self.suite_id, "edition_id": self.edition_id,
            "edition_name": EDITIONS[self.edition_id][0], "price": self.price,
            "user_count": self.user_count, "order_period": self.days,
            "order_time": self.order_time, "order_from": 0,
        }  # fmt: skip
        for name in ("paid_time", "begin_time", "end_time"):
            if getattr(self, name) is not None:
                answer[name] = getattr(self, name)
        return answer


@dataclass
class EditionBook:
    orders: dict[str, EditionOrder] = field(default_factory=dict)
    trial_days: dict[tuple[str, str], int] = field(default_factory=dict)  # (suite, corp) → days

    def place(
        self, suite_id: str, corpid: str, edition_id: str, user_count: int, days: int,
        operator: str, now: float,
    ) -> EditionOrder:  # fmt: skip
        if edition_id not in EDITIONS:
            raise ApiError(40058, f"unknown edition {edition_id}")
        if not 1 <= user_count <= 100_000 or not 1 <= days <= 1825:
            raise ApiError(40058, "user_count 1..100000 and 1..1825 days")
        order = EditionOrder(
            order_id=f"AO{secrets.token_hex(12).upper()}"[:32], suite_id=suite_id, corpid=corpid,
            edition_id=edition_id, user_count=user_count, days=days, order_time=int(now),
            operator_id=operator,
        )  # fmt: skip
        self.orders[order.order_id] = order
        return order

    def order(self, order_id: str) -> EditionOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise ApiError(40058, "invalid orderid")
        return order

    def pay(self, order: EditionOrder, authorization: Authorization, now: float) -> None:
        if order.status != UNPAID:
            raise ApiError(40058, "the order is not unpaid")
        order.status, order.paid_time = PAID, int(now)
        order.begin_time, order.end_time = int(now), int(now) + order.days * DAY
        authorization.edition_id = order.edition_id
        authorization.edition_name = EDITIONS[order.edition_id][0]
        authorization.app_status, authorization.user_limit = 3, order.user_count
        authorization.edition_expires = float(order.end_time)

    def refund(self, order: EditionOrder, authorization: Authorization, now: float) -> None:
        if order.status != PAID:
            raise ApiError(40058, "only a paid order can be refunded")
        order.status = REFUNDED
        authorization.app_status, authorization.edition_expires = 4, now

    def start_trial(self, authorization: Authorization, now: float) -> None:
        """The corp is in a time-limited trial of the full edition (as a new install is)."""
        key = (authorization.suite_id, authorization.corpid)
        self.trial_days[key] = TRIAL_DAYS
        authorization.edition_id, authorization.edition_name = "SANDBOX-PRO", "专业版"
        authorization.app_status, authorization.edition_expires = 1, now + TRIAL_DAYS * DAY

    def prolong(self, authorization: Authorization, days: int, now: float) -> int:
        if authorization.app_status not in (1, 2):
            raise ApiError(40058, "only a trial can be extended")
        key = (authorization.suite_id, authorization.corpid)
        total = self.trial_days.get(key, TRIAL_DAYS) + days
        if days < 1 or total > MAX_TRIAL_DAYS:
            raise ApiError(40058, "a trial lasts 60 days at most")
        self.trial_days[key] = total
        authorization.app_status = 1
        authorization.edition_expires = max(authorization.edition_expires, now) + days * DAY
        return int(authorization.edition_expires)


def get_order(call: Call) -> dict[str, Any]:
    order = call.sandbox.editions.order(call.field("orderid", 40058))
    if order.suite_id != call.suite_id:
        raise ApiError(40058, "invalid orderid")
    return order.as_json()


def get_order_list(call: Call) -> dict[str, Any]:
    try:
        start, end = int(call.body["start_time"]), int(call.body["end_time"])
    except (KeyError, TypeError, ValueError):
        raise ApiError(40058, "start_time and end_time are needed") from None
    orders = [o.as_json() for o in call.sandbox.editions.orders.values()
              if o.suite_id == call.suite_id and start <= o.order_time <= end]  # fmt: skip
    return {"order_list": orders}


def prolong_try(call: Call) -> dict[str, Any]:
    corpid = call.field("buyer_corpid", 40058)
    authorization = call.sandbox.active_authorization(call.suite_id, corpid)
    if authorization is None:
        raise ApiError(48004, "corp has not authorized this suite")
    try:
        days = int(call.body.get("prolong_days", 0))
    except (TypeError, ValueError):
        raise ApiError(40058, "prolong_days must be an integer") from None
    return {"try_end_time": call.sandbox.editions.prolong(authorization, days, call.sandbox.now())}


HANDLERS = {
    "service/get_order": get_order,
    "service/get_order_list": get_order_list,
    "service/prolong_try": prolong_try,
}
