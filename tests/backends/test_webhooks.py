"""Signed webhooks end to end: the portal publishes every processed event and its own platform
events, and the sandbox's inbox — the ISV's receiver — verifies each with the standardwebhooks
package (an implementation that is not ours). Retries are made due by moving their next try to
now (the wait itself is checked separately), never by waiting."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from oauth.models import Role
from webhooks import signing
from webhooks.models import Attempt, Delivery, Endpoint, Message
from webhooks.services import next_delay, publish, redeliver, secret_rotate
from webhooks.tasks import deliver_due_webhooks, purge_old_webhook_messages

pytestmark = pytest.mark.django_db(transaction=True)


def make_due() -> int:
    """Every pending retry is due now; the sweep sends them (a worker would, 30 s apart)."""
    Delivery.objects.filter(status=Delivery.Status.PENDING).update(next_try_at=timezone.now())
    return deliver_due_webhooks()


@pytest.fixture
def staff_api(service_api):
    """A provider-wide owner service account's calls to the staff API: (method, path, ...)."""
    call = service_api("ops", role=Role.OWNER)
    return lambda method, path, **kwargs: call(path, method, **kwargs)


@pytest.fixture
def inbox(portal, staff_api):
    """The sandbox's inbox as a webhook endpoint, its secret handed to the sandbox."""
    created = staff_api(
        "POST", "webhooks/",
        json={"url": f"{portal.wecom.url}/sandbox/webhooks/", "internal": True,
              "description": "sandbox inbox"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    portal.wecom.action("webhook_inbox", secret=created.json()["secret"])
    return Endpoint.objects.get(pk=created.json()["id"])


def test_every_event_arrives_verified_exactly_once_after_an_outage_of_several_retries(
    portal, inbox
):
    portal.wecom.action("webhook_outage", count=10_000)  # the receiver is down
    corp = portal.install(0)
    portal.wecom.action(
        "change_contact", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        change_type="update_user", data={"userid": "lina", "name": "李娜娜"},
    )  # fmt: skip
    portal.wecom.action(
        "app_event", suite_id=portal.suite.suite_id, corpid=corp.corpid, event="enter_agent",
        userid="lina",
    )  # fmt: skip
    portal.wecom.action("cancel_auth", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    published = Counter(Message.objects.values_list("type", flat=True))
    expected = {"create_auth", "corp.installed", "change_contact.update_user", "enter_agent",
                "cancel_auth", "corp.cancelled"}  # fmt: skip
    assert expected <= set(published) and "suite_ticket" not in published
    for _ in range(3):  # three more tries, all refused with 503
        assert make_due() == len(published)
    assert set(Delivery.objects.values_list("status", "tries")) == {("pending", 4)}

    portal.wecom.action("webhook_outage", count=0)  # back up
    make_due()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert make_due() == 0  # nothing left to send

    received = portal.wecom.webhooks()
    verified = [h for h in received if h["verified"]]
    assert all(h["verified"] is None for h in received if not h["verified"])  # only 503s
    assert Counter(h["type"] for h in verified) == published  # each message exactly once
    assert len({h["webhook_id"] for h in verified}) == len(verified)
    assert Attempt.objects.count() == 5 * len(published)
    installed = next(h["payload"] for h in verified if h["type"] == "corp.installed")
    assert installed["corpid"] == corp.corpid and installed["data"]["corp_name"] == "星辰科技"


def test_a_tampered_message_is_rejected_and_a_redelivery_keeps_its_id(portal, inbox):
    portal.install(0)
    message = Message.objects.get(type="corp.installed")
    stamp = int(timezone.now().timestamp())
    headers = signing.headers([inbox.secret], message.msg_id, stamp, message.body)
    url = f"{portal.wecom.url}/sandbox/webhooks/"
    tampered = message.body.replace("星辰科技", "别的公司")
    assert (
        requests.post(url, data=tampered.encode(), headers=headers, timeout=10).status_code == 400
    )
    assert (
        requests.post(url, data=message.body.encode(), headers=headers, timeout=10).status_code
        == 204
    )
    rejected = [h for h in portal.wecom.webhooks() if h["verified"] is False]
    assert len(rejected) == 1 and "signature" in rejected[0]["error"].lower()

    portal.wecom.reset_logs()
    redeliver(Delivery.objects.filter(message=message))
    [again] = portal.wecom.webhooks()
    assert again["verified"] and again["webhook_id"] == message.msg_id


def test_no_secret_reaches_a_message(portal, inbox):
    """create_auth carries a single-use auth code and register_corp a contact-sync token:
    fields WeCom's parsers mark secret are left out; suite_ticket is not published at all."""
    pushed = portal.wecom.action(
        "create_auth", suite_id=portal.suite.suite_id, corpid=portal.wecom.corps[0]
    )
    assert pushed["push"]["ok"]
    portal.push_ticket()
    [message] = Message.objects.filter(type="create_auth")
    assert pushed["auth_code"] not in message.body and "auth_code" not in message.body
    assert not Message.objects.filter(type="suite_ticket").exists()


def test_after_a_rotation_both_secrets_sign_for_the_overlap(portal, inbox):
    old = inbox.secret
    new = secret_rotate(inbox)
    assert new != old and new.startswith("whsec_")
    publish(provider=portal.provider, type="test.rotated", data={"n": 1})
    portal.wecom.action("webhook_inbox", secret=new)
    publish(provider=portal.provider, type="test.rotated", data={"n": 2})
    assert [h["verified"] for h in portal.wecom.webhooks("test.rotated")] == [True, True]


def test_the_retry_schedule_lasts_more_than_a_day_then_gives_up(settings):
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    shortest = sum(0.8 * seconds for seconds in schedule)
    assert shortest >= 24 * 3600
    assert next_delay(len(schedule)) is None and next_delay(0) is not None


def test_an_endpoint_failing_for_days_is_disabled_and_the_dashboard_says_so(
    portal, inbox, admin_client
):
    Endpoint.objects.filter(pk=inbox.pk).update(failing_since=timezone.now() - timedelta(days=6))
    portal.wecom.action("webhook_outage", count=1)
    publish(provider=portal.provider, type="test.failing", data={})
    inbox.refresh_from_db()
    assert not inbox.enabled and inbox.disabled_reason
    assert "webhook-disabled" in admin_client.get("/admin/").content.decode()
    publish(provider=portal.provider, type="test.after", data={})  # a disabled endpoint gets none
    assert not Delivery.objects.filter(message__type="test.after").exists()


class TestRefusedAddresses:
    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]:9/hook", "http://10.0.0.8/hook", "http://localhost:9/hook"],
    )  # fmt: skip
    def test_a_private_url_is_refused_unless_internal(self, staff_api, url):
        answer = staff_api("POST", "webhooks/", json={"url": url})
        assert (answer.status_code, answer.json()["code"]) == (400, "url_refused")
        assert not Endpoint.objects.exists()

    def test_only_an_owner_marks_an_endpoint_internal(self, service_api):
        operator = service_api("ops2", role=Role.OPERATOR)
        answer = operator(
            "webhooks/", "POST", json={"url": "http://127.0.0.1:9/hook", "internal": True}
        )
        assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
        assert not Endpoint.objects.exists()

    def test_the_connection_itself_is_checked_so_a_changed_dns_answer_cannot_reach_in(self, portal):
        """An endpoint row that says public but leads to loopback (as a DNS answer changed
        after the check would): the try is refused at connect, the inbox hears nothing."""
        Endpoint.objects.create(
            provider=portal.provider, url=f"{portal.wecom.url}/sandbox/webhooks/",
            secret=signing.new_secret(), internal=False,
        )  # fmt: skip
        publish(provider=portal.provider, type="test.ssrf", data={})
        attempt = Attempt.objects.get()
        assert not attempt.ok and "not a public address" in attempt.error
        assert portal.wecom.webhooks() == []


def test_the_endpoint_api_shows_the_secret_once_and_edits_and_deletes(portal, staff_api, inbox):
    listed = staff_api("GET", "webhooks/").json()
    assert [e["id"] for e in listed] == [inbox.pk] and "secret" not in listed[0]
    changed = staff_api(
        "PATCH", f"webhooks/{inbox.pk}/",
        json={"event_types": ["corp"], "suite_ids": [portal.suite.suite_id], "enabled": False},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["event_types"], body["suite_ids"], body["enabled"]) == (
        ["corp"], [portal.suite.suite_id], False,
    )  # fmt: skip
    rotated = staff_api("POST", f"webhooks/{inbox.pk}/rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_")
    assert staff_api("DELETE", f"webhooks/{inbox.pk}/").status_code == 204
    assert staff_api("GET", f"webhooks/{inbox.pk}/").status_code == 404


def test_an_endpoint_takes_only_the_types_it_names(portal, staff_api, inbox):
    staff_api("PATCH", f"webhooks/{inbox.pk}/", json={"event_types": ["corp"]})
    portal.install(0)
    types = {h["type"] for h in portal.wecom.webhooks()}
    assert types == {"corp.installed"}  # not create_auth


def test_customer_contact_events_reach_the_receiver_with_their_fields(portal, inbox):
    corp = portal.install(0)
    portal.wecom.action(
        "customer_change", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        kind="change_external_contact", change_type="add_external_contact", state="poster-7",
    )  # fmt: skip
    [hook] = portal.wecom.webhooks("change_external_contact.add_external_contact")
    data = hook["payload"]["data"]
    assert hook["verified"] and data["userid"] == "zhangwei" and data["state"] == "poster-7"
    assert data["external_userid"].startswith("wm") and data["welcome_code"]


def test_a_try_whose_worker_died_is_sent_again_by_the_sweep_and_a_live_one_is_left(portal, inbox):
    publish(provider=portal.provider, type="test.stalled", data={})
    publish(provider=portal.provider, type="test.busy", data={})
    now = timezone.now()
    stalled = Delivery.objects.filter(message__type="test.stalled")
    stalled.update(status="sending", claimed_at=now - timedelta(hours=1))  # its worker died
    busy = Delivery.objects.filter(message__type="test.busy")
    busy.update(status="sending", claimed_at=now)  # a worker is on it right now
    portal.wecom.reset_logs()
    assert deliver_due_webhooks() == 1
    assert [h["type"] for h in portal.wecom.webhooks()] == ["test.stalled"]
    assert stalled.get().status == "delivered" and busy.get().status == "sending"


def test_the_console_redelivers_a_message_and_replays_a_time_range(portal, inbox, admin_client):
    portal.install(0)
    delivery = Delivery.objects.get(message__type="corp.installed")
    portal.wecom.reset_logs()
    redelivered = admin_client.post(
        "/admin/webhooks/delivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk], "confirmed": "yes"},
    )
    assert redelivered.status_code == 302
    assert [h["type"] for h in portal.wecom.webhooks()] == ["corp.installed"]

    portal.wecom.reset_logs()
    now = timezone.localtime()  # the form reads times in the console's time zone
    replayed = admin_client.post(
        "/admin/webhooks/endpoint/",
        {"action": "replay_range", "_selected_action": [inbox.pk],
         "since": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
         "until": (now + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")},
    )  # fmt: skip
    assert replayed.status_code == 302
    again = Counter(h["type"] for h in portal.wecom.webhooks() if h["verified"])
    assert again == Counter(Message.objects.values_list("type", flat=True))


def test_retention_deletes_old_messages_whose_deliveries_are_over(portal, inbox, settings):
    """With their deliveries and attempts, and those no endpoint took; a message still being
    retried stays, and so does a recent one."""
    portal.install(0)
    for name in ("a", "b", "c"):
        publish(provider=inbox.provider, type=f"test.{name}", data={}, key=name)
    settings.WEBHOOK_RETENTION_DAYS = 7
    Message.objects.update(created_at=timezone.now() - timedelta(days=8))
    retrying, given_up, no_endpoint, *delivered = Delivery.objects.order_by("pk")
    assert delivered and Attempt.objects.filter(delivery__in=delivered).exists()
    no_endpoint.delete()  # a message no endpoint took
    Delivery.objects.filter(pk=retrying.pk).update(status=Delivery.Status.PENDING)
    Delivery.objects.filter(pk=given_up.pk).update(status=Delivery.Status.FAILED)
    recent = publish(provider=inbox.provider, type="test.recent", data={}, key="recent")
    old_and_over = Message.objects.exclude(pk__in=[retrying.message_id, recent.pk]).count()
    assert old_and_over == len(delivered) + 2
    assert purge_old_webhook_messages() == old_and_over
    assert set(Message.objects.values_list("pk", flat=True)) == {retrying.message_id, recent.pk}
    assert not Attempt.objects.filter(delivery__in=[given_up, *delivered]).exists()
    assert Delivery.objects.filter(message=recent).count() == 1  # the inbox's
