"""Paid editions: orders synced from WeCom, the corp's edition re-read when it changes, trials
extended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import AppOrder
from billing.signals import edition_changed
from corps.models import AuthorizedCorp, Suite
from corps.services import from_unix
from tokens.authorization import corp_auth_refresh
from tokens.refusals import Refused
from tokens.services import suite_api
from wecom.client.app_orders import AppOrder as WeComOrder

TRIAL = {1, 2, 5}  # app_status: a time-limited trial, an expired one, an unlimited one
MAX_PROLONG_DAYS = 60


def edition_of(corp: AuthorizedCorp) -> dict[str, Any]:
    """What frontends gate features on (the member API's ``edition``)."""
    return {
        "id": corp.edition_id,
        "name": corp.edition_name,
        "status": corp.app_status,
        "is_trial": corp.app_status in TRIAL,
        "end_time": None if corp.app_status == 5 else corp.edition_expires_at,
        "user_limit": corp.user_limit,
    }


def order_store(suite: Suite, order: WeComOrder) -> AppOrder:
    corp = AuthorizedCorp.objects.filter(suite=suite, corpid=order.paid_corpid).first()
    row, _created = AppOrder.objects.update_or_create(
        order_id=order.order_id,
        defaults={
            "suite": suite,
            "corp": corp,
            "corpid": order.paid_corpid,
            "status": order.order_status,
            "kind": order.order_type,
            "edition_id": order.edition_id,
            "edition_name": order.edition_name,
            "price": order.price,
            "user_count": order.user_count,
            "period_days": order.order_period,
            "ordered_at": from_unix(order.order_time),
            "paid_at": from_unix(order.paid_time),
            "begins_at": from_unix(order.begin_time),
            "ends_at": from_unix(order.end_time),
            "synced_at": timezone.now(),
        },
    )
    return row


def order_sync(suite: Suite, order_id: str) -> AppOrder:
    return order_store(suite, suite_api(suite).get_order(order_id=order_id))


def orders_sync(suite: Suite, *, start: datetime, end: datetime) -> list[AppOrder]:
    """Every order placed in the window (WeCom's list carries the whole order)."""
    listed = suite_api(suite).get_order_list(
        start_time=int(start.timestamp()), end_time=int(end.timestamp())
    )
    return [order_store(suite, order) for order in listed]


def edition_refresh(corp: AuthorizedCorp) -> AuthorizedCorp:
    """Re-read the corp's edition (get_auth_info); ``edition_changed`` if it differs."""
    before = edition_of(corp)
    corp = corp_auth_refresh(corp=corp)
    after = edition_of(corp)
    if after != before:
        edition_changed.send(sender=AuthorizedCorp, corp=corp, before=before, after=after)
    return corp


def trial_prolong(corp: AuthorizedCorp, days: int) -> AuthorizedCorp:
    """Extend the corp's trial (WeCom allows 60 days of trial in all, from a trial only)."""
    if not 1 <= days <= MAX_PROLONG_DAYS:
        raise Refused(400, _("A trial is extended by 1 to 60 days."), "invalid_duration")
    if corp.app_status not in (1, 2):
        raise Refused(409, _("Only a corp in a trial can have it extended."), "not_in_trial")
    suite_api(corp.suite).prolong_try(buyer_corpid=corp.corpid, prolong_days=days)
    return edition_refresh(corp)
