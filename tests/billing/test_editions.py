"""Paid editions end to end: the sandbox pushes WeCom's order events in WeCom's order
(open_order → pay_for_app_success → change_editon; refund → change_editon) to the portal, which
syncs the order, re-reads the corp's edition and tells the ISV (edition_changed, /api/v1/corp/)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.models import AppOrder
from billing.services import trial_prolong
from billing.signals import edition_changed
from billing.tasks import sync_app_orders
from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Suite
from tokens.refusals import Refused

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    changes = []

    def listen(sender, corp, before, after, **kwargs):
        changes.append((before, after))

    edition_changed.connect(listen)
    yield changes
    edition_changed.disconnect(listen)


def corp_api(portal, corp_index: int = 0) -> dict:
    code = portal.oauth_code(corp_index, "lina")
    body = {"suite_id": portal.suite.suite_id, "code": code}
    token = portal.http.post(f"{portal.url}/api/v1/auth/sso/", json=body, timeout=30).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    return portal.http.get(f"{portal.url}/api/v1/corp/", headers=headers, timeout=30).json()


def test_a_purchase_then_a_refund_reach_the_corps_edition(portal, heard):
    corp = portal.install(0)
    wecom = portal.wecom
    placed = wecom.action(
        "app_order", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        edition_id="SANDBOX-BASIC", user_count=20, days=30,
    )  # fmt: skip
    assert placed["push"]["ok"], placed
    order = AppOrder.objects.get(order_id=placed["order_id"])
    assert (order.status, order.edition_name, order.user_count) == (0, "基础版", 20)
    assert order.price == 10 * 20 * 30 and order.corp == corp

    paid = wecom.action("app_pay", order_id=order.order_id)
    assert [p["ok"] for p in paid["pushes"]] == [True, True]
    assert [p["event"] for p in wecom.pushes()[-2:]] == ["pay_for_app_success", "change_editon"]
    order.refresh_from_db()
    corp.refresh_from_db()
    assert order.status == AppOrder.Status.PAID and order.paid_at is not None
    assert (corp.edition_name, corp.app_status, corp.user_limit) == ("基础版", 3, 20)
    edition = corp_api(portal)["edition"]
    assert edition["id"] == "SANDBOX-BASIC" and edition["is_trial"] is False
    assert edition["user_limit"] == 20 and edition["end_time"]
    assert heard and heard[-1][1]["name"] == "基础版"

    refunded = wecom.action("app_refund", order_id=order.order_id)
    assert [p["ok"] for p in refunded["pushes"]] == [True, True]
    order.refresh_from_db()
    corp.refresh_from_db()
    assert order.status == AppOrder.Status.REFUNDED and corp.app_status == 4


def test_a_trial_is_extended_within_wecoms_rules(portal, heard):
    corp = portal.install(0)
    with pytest.raises(Refused) as refused:
        trial_prolong(corp, 10)  # a paid corp has no trial to extend
    assert refused.value.code == "not_in_trial"
    portal.wecom.action("app_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    corp.refresh_from_db()
    assert corp.app_status == 1 and heard[-1][1]["is_trial"] is True
    ends = corp.edition_expires_at
    corp = trial_prolong(corp, 10)
    assert corp.edition_expires_at - ends == timedelta(days=10)
    assert corp_api(portal)["edition"]["is_trial"] is True
    with pytest.raises(Refused) as refused:
        trial_prolong(corp, 0)
    assert refused.value.code == "invalid_duration"


def test_the_daily_task_reads_orders_placed_while_events_were_lost(portal):
    corp = portal.install(0)
    placed = portal.wecom.action(
        "app_order", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        edition_id="SANDBOX-PRO", user_count=5, days=31,
    )  # fmt: skip
    AppOrder.objects.filter(order_id=placed["order_id"]).delete()  # as if open_order was lost
    assert sync_app_orders() == 1
    assert AppOrder.objects.get(order_id=placed["order_id"]).status == AppOrder.Status.UNPAID


def test_a_suite_without_a_ticket_does_not_stop_the_daily_task(portal):
    """A second app whose first suite_ticket has not arrived: its orders cannot be read yet
    (logged), the demo app's still are; the 代开发 template sells no editions and is skipped."""
    Suite.objects.create(
        provider=portal.provider, suite_id="wwnoticketyet", name="新应用", secret="s", token="t",
        encoding_aes_key=portal.suite.encoding_aes_key,
    )  # fmt: skip
    corp = portal.install(0)
    placed = portal.wecom.action(
        "app_order", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        edition_id="SANDBOX-BASIC", user_count=5, days=31,
    )  # fmt: skip
    AppOrder.objects.filter(order_id=placed["order_id"]).delete()
    portal.wecom.reset_logs()
    assert sync_app_orders() == 1
    assert AppOrder.objects.filter(order_id=placed["order_id"]).exists()
    assert len(portal.wecom.calls("service/get_order_list")) == 1  # the demo app's only


def test_an_order_event_for_an_order_and_corp_wecom_does_not_know_writes_nothing(portal):
    """Acknowledged and stored (it is authentic), then refused with WeCom's reason on record:
    no order row, no corp touched."""
    params, body = portal.seal(
        {"SuiteId": portal.suite.suite_id, "InfoType": "open_order", "TimeStamp": 1,
         "PaidCorpId": "wpnosuchcorp", "OrderId": "T00000NOSUCHORDER"},
        receive_id=portal.suite.suite_id,
    )  # fmt: skip
    response = portal.post(f"/callbacks/suite/{portal.suite.suite_id}/", params, body)
    assert (response.status_code, response.text) == (200, "success")
    record = CallbackEvent.objects.get(kind="open_order")
    assert record.status == "failed" and record.last_error
    assert not AppOrder.objects.exists() and not AuthorizedCorp.objects.exists()
