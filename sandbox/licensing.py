"""接口许可 in the sandbox: orders, active codes and WeCom's rules for them (API-business.md §1).

A month is 31 days; a code is valid from its first binding for its duration. A member holds at
most one code per type; a new code of the same type binds only when the current one has 20 days
or less left, and adds its time to it (the old code is then merged, status 5), up to five years.
Test corps (auth_type 1) get 0-price orders paid at once, one month only, at most 1,000 accounts.
Every install starts a 90-day trial at the first install of the app (a reinstall keeps it).
Prices are the sandbox's own list, in fen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError

DAY = 86400
MONTH_DAYS = 31
TRIAL_DAYS = 90
RENEW_WINDOW_DAYS = 20
MAX_STACKED_DAYS = 5 * 372
MAX_COUNT, MAX_TEST_COUNT = 1_000_000, 1000
PRICE_PER_MONTH = {1: 300, 2: 500}  # fen per account and month: base, interop
BASE, INTEROP = 1, 2
UNPAID, PAID, CANCELLED, REFUNDED = 0, 1, 2, 5
UNBOUND, BOUND, EXPIRED, MERGED = 1, 2, 3, 5
NEW, RENEWAL, MULTI_CORP = 1, 2, 8
MAX_RENEW_MONTHS = 60


@dataclass
class LicenseOrder:
    order_id: str
    corpid: str
    order_type: int  # 1 new, 2 renewal, 8 multi-corp parent
    base_count: int
    external_count: int
    months: int
    days: int
    price: int
    create_time: int
    buyer_userid: str
    status: int = UNPAID
    pay_time: int | None = None
    codes: list[str] = field(default_factory=list)
    renewals: list[tuple[str, int]] = field(default_factory=list)  # (userid, type) renewed
    new_expire_time: int | None = None  # a renewal to a date rather than by months
    sub_orders: list[str] = field(default_factory=list)  # a multi-corp order's parts

    @property
    def duration_days(self) -> int:
        return self.months * MONTH_DAYS + self.days

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "order_id": self.order_id,
            "order_type": self.order_type,
            "order_status": self.status,
            "corpid": self.corpid,
            "price": self.price,
            "account_count": {
                "base_count": self.base_count,
                "external_contact_count": self.external_count,
            },
            "account_duration": (
                {"new_expire_time": self.new_expire_time}
                if self.new_expire_time
                else {"months": self.months, "days": self.days}
            ),
            "create_time": self.create_time,
        }
        if self.order_type == MULTI_CORP:
            del answer["corpid"], answer["account_count"], answer["account_duration"]
        if self.pay_time is not None:
            answer["pay_time"] = self.pay_time
        return answer


@dataclass
class ActiveCode:
    code: str
    corpid: str
    type: int
    order_id: str
    duration_days: int
    create_time: int
    status: int = UNBOUND
    userid: str = ""  # the plain userid of the member holding it
    active_time: int | None = None
    expire_time: int | None = None
    merged_into: str = ""

    def valid_at(self, now: float) -> bool:
        return self.status == BOUND and (self.expire_time or 0) > now


@dataclass
class LicenseBook:
    """The provider's orders and codes, and which corps switched auto-activation on."""

    orders: dict[str, LicenseOrder] = field(default_factory=dict)
    codes: dict[str, ActiveCode] = field(default_factory=dict)
    auto_active: dict[str, bool] = field(default_factory=dict)
    balance: int = 10_000_000  # fen in the provider's top-up account
    renew_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    order_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pay_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    announce: list[str] = field(default_factory=list)  # paid orders whose event is not sent yet
    corp_codes: dict[str, list[ActiveCode]] = field(default_factory=dict)  # corpid → its codes

    def of_corp(self, corpid: str) -> list[ActiveCode]:
        return self.corp_codes.get(corpid, [])

    def new_order(
        self, *, corpid: str, test_corp: bool, base: int, interop: int, months: int, days: int,
        buyer: str, now: float,
    ) -> LicenseOrder:  # fmt: skip
        if base < 0 or interop < 0 or base + interop == 0:
            raise ApiError(40058, "account_count: base_count and external_contact_count are 0")
        if test_corp and base + interop > MAX_TEST_COUNT:
            raise ApiError(701027, "a test corp may buy at most 1000 accounts")
        if max(base, interop) > MAX_COUNT:
            raise ApiError(40058, "account_count over 1000000")
        if months < 0 or days < 0 or not 31 <= months * MONTH_DAYS + days <= 1860:
            raise ApiError(40058, "account_duration must be 31 to 1860 days")
        if test_corp and (months != 1 or days):
            raise ApiError(701028, "a test corp may buy one month only")
        if any(o.corpid == corpid and o.status == UNPAID for o in self.orders.values()):
            raise ApiError(701032, "the corp has an unpaid order")
        price = 0 if test_corp else _price(base, interop, months * MONTH_DAYS + days)
        order = self._order(
            corpid=corpid, order_type=NEW, base_count=base, external_count=interop,
            months=months, days=days, price=price, create_time=int(now), buyer_userid=buyer,
        )  # fmt: skip
        if test_corp:
            self.pay(order, now)
        return order

    def _order(self, **fields: Any) -> LicenseOrder:
        order = LicenseOrder(order_id=f"OI{secrets.token_hex(12).upper()}", **fields)
        self.orders[order.order_id] = order
        return order

    # --- renewals: a job collects members, submitting it makes the order ------------------

    def renew_job_add(
        self, corpid: str, accounts: list[tuple[str, int]], jobid: str, now: float
    ) -> tuple[str, list[tuple[str, int]]]:
        """Add (userid, type) to a renewal job; returns the jobid and the refused accounts
        (the member holds no valid account of that type: 701004)."""
        if jobid and jobid not in self.renew_jobs:
            raise ApiError(701151, "the jobid is wrong or expired")
        job = self.renew_jobs.setdefault(jobid or f"RJ{secrets.token_hex(8)}", {})
        job.setdefault("corpid", corpid)
        job.setdefault("accounts", [])
        if job["corpid"] != corpid:
            raise ApiError(701086, "the job is not this corp's")
        refused = [a for a in accounts if self.held(corpid, a[0], a[1], now) is None]
        job["accounts"] += [a for a in accounts if a not in refused and a not in job["accounts"]]
        jobid = next(k for k, v in self.renew_jobs.items() if v is job)
        return jobid, refused

    def renew_job_submit(
        self, jobid: str, buyer: str, months: int, new_expire_time: int | None, now: float
    ) -> LicenseOrder:
        job = self.renew_jobs.pop(jobid, None)
        if job is None:
            raise ApiError(701151, "the jobid is wrong or expired")
        if not job["accounts"]:
            raise ApiError(701025, "the list is empty")
        if new_expire_time:
            if not now < new_expire_time <= now + 1860 * DAY:
                raise ApiError(40058, "new_expire_time must be in the next 1860 days")
            days = int((new_expire_time - now) // DAY) + 1
        elif 1 <= months <= MAX_RENEW_MONTHS:
            days = months * MONTH_DAYS
        else:
            raise ApiError(701090, "a renewal needs 1 to 60 months or a new expiry")
        base = sum(1 for _u, kind in job["accounts"] if kind == BASE)
        return self._order(
            corpid=job["corpid"], order_type=RENEWAL, base_count=base,
            external_count=len(job["accounts"]) - base, months=months, days=0,
            price=_price(base, len(job["accounts"]) - base, days), create_time=int(now),
            buyer_userid=buyer, renewals=list(job["accounts"]), new_expire_time=new_expire_time,
        )  # fmt: skip

    # --- multi-corp orders ------------------------------------------------------------------

    def order_job_add(self, items: list[dict[str, Any]], jobid: str) -> str:
        if jobid and (jobid not in self.order_jobs or self.order_jobs[jobid].get("order_id")):
            raise ApiError(701151 if jobid not in self.order_jobs else 701126, "bad jobid")
        job = self.order_jobs.setdefault(jobid or f"NJ{secrets.token_hex(8)}", {"items": []})
        job["items"] += items
        return next(k for k, v in self.order_jobs.items() if v is job)

    def order_job_submit(self, jobid: str, buyer: str, now: float) -> LicenseOrder:
        job = self.order_jobs.get(jobid)
        if job is None:
            raise ApiError(701151, "the jobid is wrong or expired")
        if job.get("order_id"):
            raise ApiError(701126, "the job is already submitted")
        subs = [
            self._order(
                corpid=i["corpid"],
                order_type=NEW,
                base_count=i["base"],
                external_count=i["interop"],
                months=i["months"],
                days=i["days"],
                price=_price(i["base"], i["interop"], i["months"] * MONTH_DAYS + i["days"]),
                create_time=int(now),
                buyer_userid=buyer,
            )
            for i in job["items"]
        ]
        parent = self._order(
            corpid="", order_type=MULTI_CORP, base_count=0, external_count=0, months=0, days=0,
            price=sum(o.price for o in subs), create_time=int(now), buyer_userid=buyer,
            sub_orders=[o.order_id for o in subs],
        )  # fmt: skip
        job["order_id"] = parent.order_id
        return parent

    # --- paying from the balance ----------------------------------------------------------

    def pay_from_balance(self, order: LicenseOrder, now: float) -> str:
        """A payment job: paid at once if the balance covers the order, failed (90433) if not."""
        jobid = f"PJ{secrets.token_hex(8)}"
        if order.status != UNPAID:
            self.pay_jobs[jobid] = {"status": 3, "errcode": 701084}
        elif order.price > self.balance:
            self.pay_jobs[jobid] = {"status": 3, "errcode": 90433}
        else:
            self.balance -= order.price
            self.pay(order, now)
            self.pay_jobs[jobid] = {"status": 1, "errcode": 0}
        return jobid

    def order(self, order_id: str, corpid: str | None = None) -> LicenseOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise ApiError(701005, "invalid order id")
        if corpid is not None and order.corpid != corpid:
            raise ApiError(701086, "the order is not this corp's")
        return order

    def pay(self, order: LicenseOrder, now: float) -> None:
        """Paid: a new order's codes exist, a renewal's members run longer, a multi-corp
        order's parts are paid. Each paid corp order is announced (license_pay_success)."""
        if order.status != UNPAID:
            raise ApiError(701084, "the order is not unpaid")
        order.status, order.pay_time = PAID, int(now)
        for sub in order.sub_orders:
            self.pay(self.orders[sub], now)
        if order.order_type == MULTI_CORP:
            return
        self.announce.append(order.order_id)
        for userid, kind in order.renewals:
            if held := self.held(order.corpid, userid, kind, now):
                end = (
                    order.new_expire_time
                    or (held.expire_time or 0) + order.months * MONTH_DAYS * DAY
                )
                held.expire_time = max(held.expire_time or 0, end)
        if order.order_type != NEW:
            return
        for kind, count in ((BASE, order.base_count), (INTEROP, order.external_count)):
            for _ in range(count):
                code = ActiveCode(
                    code=f"LC{secrets.token_hex(14).upper()}", corpid=order.corpid, type=kind,
                    order_id=order.order_id, duration_days=order.duration_days,
                    create_time=int(now),
                )  # fmt: skip
                self.codes[code.code] = code
                self.corp_codes.setdefault(code.corpid, []).append(code)
                order.codes.append(code.code)

    def refund(self, order: LicenseOrder) -> None:
        if order.status != PAID:
            raise ApiError(701083, "only a paid order can be refunded")
        order.status = REFUNDED
        for code in order.codes:
            self.codes[code].status = EXPIRED

    def cancel(self, order: LicenseOrder) -> None:
        if order.status != UNPAID:
            raise ApiError(701169, "only unpaid orders can be cancelled")
        order.status = CANCELLED

    def code(self, corpid: str, value: str) -> ActiveCode:
        code = self.codes.get(value)
        if code is None or code.corpid != corpid:
            raise ApiError(701021, "invalid active code")
        return code

    def held(self, corpid: str, userid: str, kind: int, now: float) -> ActiveCode | None:
        return next(
            (c for c in self.of_corp(corpid)
             if c.userid == userid and c.type == kind and c.valid_at(now)),
            None,
        )  # fmt: skip

    def activate(self, code: ActiveCode, userid: str, now: float) -> None:
        if code.status != UNBOUND:
            raise ApiError(701003, "the active code is already bound")
        current = self.held(code.corpid, userid, code.type, now)
        if current is None:
            start = now
        else:
            left = (current.expire_time or 0) - now
            if left > RENEW_WINDOW_DAYS * DAY:
                raise ApiError(701082, "the member's current code has more than 20 days left")
            start = current.expire_time or now
        expire = start + code.duration_days * DAY
        if expire - now > MAX_STACKED_DAYS * DAY:
            raise ApiError(701030, "stacked validity would exceed 5 years")
        if current is not None:
            current.status, current.merged_into = MERGED, code.code
        code.status, code.userid = BOUND, userid
        code.active_time, code.expire_time = int(now), int(expire)

    def transfer(self, corpid: str, handover: str, takeover: str, now: float) -> None:
        held = [self.held(corpid, handover, kind, now) for kind in (BASE, INTEROP)]
        codes = [c for c in held if c is not None]
        if not codes:
            raise ApiError(701016, "the handover account is inactive or expired")
        for code in codes:
            theirs = self.held(corpid, takeover, code.type, now)
            if theirs and (theirs.expire_time or 0) - now > RENEW_WINDOW_DAYS * DAY:
                raise ApiError(701018, "the takeover member holds the same type")
        for code in codes:
            code.userid = takeover

    def activate_by_type(self, corpid: str, userid: str, kind: int, now: float) -> ActiveCode:
        """Bind the corp's free code of that type that must be bound soonest (701072: none)."""
        if self.held(corpid, userid, kind, now) is not None:
            raise ApiError(701011, "the member already holds an account of that type")
        free = [c for c in self.of_corp(corpid) if c.type == kind and c.status == UNBOUND]
        if not free:
            raise ApiError(701072, "the corp has no free active code of that type")
        code = min(free, key=lambda c: c.create_time)
        self.activate(code, userid, now)
        return code


def _price(base: int, interop: int, days: int) -> int:
    """The sandbox's price list: per account and 31-day month, pro rata by day, in fen."""
    return sum(
        count * PRICE_PER_MONTH[kind] * days // MONTH_DAYS
        for kind, count in ((BASE, base), (INTEROP, interop))
    )
