"""Paid-edition (应用版本付费, 收银台) orders as the suite API reports them
(API-business.md §3.1)."""

from __future__ import annotations

from dataclasses import dataclass

from wecom.client.models import Json, opt_int


@dataclass(frozen=True, slots=True)
class AppOrder:
    """order_status 0 unpaid, 1 paid, 2 cancelled, 3 payment expired, 4 refund requested,
    5 refunded, 6 refund rejected; order_type 0 new, 1 more seats, 2 renewal, 3 edition change;
    order_from 0 the corp, 1 the provider, 2 an agent, 3 收银台."""

    order_id: str
    order_status: int
    order_type: int
    paid_corpid: str
    edition_id: str = ""
    edition_name: str = ""
    price: int | None = None  # fen
    user_count: int | None = None
    order_period: int | None = None  # days
    order_time: int | None = None
    paid_time: int | None = None
    begin_time: int | None = None
    end_time: int | None = None
    order_from: int | None = None
    operator_id: str = ""

    @classmethod
    def from_json(cls, data: Json) -> AppOrder:
        return cls(
            order_id=str(data["orderid"]),
            order_status=int(data.get("order_status", 0)),
            order_type=int(data.get("order_type", 0)),
            paid_corpid=str(data.get("paid_corpid", "")),
            edition_id=str(data.get("edition_id", "")),
            edition_name=str(data.get("edition_name", "")),
            price=opt_int(data.get("price")),
            user_count=opt_int(data.get("user_count")),
            order_period=opt_int(data.get("order_period")),
            order_time=opt_int(data.get("order_time")),
            paid_time=opt_int(data.get("paid_time")),
            begin_time=opt_int(data.get("begin_time")),
            end_time=opt_int(data.get("end_time")),
            order_from=opt_int(data.get("order_from")),
            operator_id=str(data.get("operator_id", "")),
        )
