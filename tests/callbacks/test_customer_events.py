"""Customer contact (客户联系) events pushed by the sandbox to the live portal: every ChangeType
of change_external_contact, change_external_chat and change_external_tag arrives as a typed
event, is stored, reaches app_event — for a third-party app (InfoType on the command URL) and a
代开发 app (Event on the data URL) alike."""

from __future__ import annotations

import pytest

from callbacks.models import CallbackEvent
from sandbox.customers import CHANGE_TYPES
from sandbox.world import unionid
from wecom.customer_events import ExternalChatChange, ExternalContactChange, ExternalTagChange
from wecom.event_fields import ContactEvent

pytestmark = pytest.mark.django_db(transaction=True)
CLASSES: dict[str, type] = {
    "change_external_contact": ExternalContactChange,
    "change_external_chat": ExternalChatChange,
    "change_external_tag": ExternalTagChange,
}
EVERY = [(kind, change) for kind, changes in CHANGE_TYPES.items() for change in changes]


@pytest.mark.parametrize(("kind", "change_type"), EVERY)
def test_every_change_type_arrives_typed_stored_and_heard(portal, heard, kind, change_type):
    corp = portal.install(0)
    pushed = portal.wecom.action(
        "customer_change", suite_id=portal.suite.suite_id, corpid=corp.corpid, kind=kind,
        change_type=change_type, unionid=unionid("林晓"),
    )  # fmt: skip
    assert pushed["push"]["ok"], pushed
    record = CallbackEvent.objects.get(kind=kind)
    assert record.status == "processed" and record.receiver == "command"
    [(event, heard_corp)] = [(e, c) for e, c in heard if e.kind == kind]
    assert type(event) is CLASSES[kind] and isinstance(event, ContactEvent)
    assert event.change_type == change_type
    assert heard_corp == corp and event.auth_corpid == corp.corpid
    if isinstance(event, ExternalContactChange):
        assert event.userid == "zhangwei" and event.external_userid.startswith("wm")
        assert bool(event.welcome_code) == change_type.startswith("add_")
        assert (event.fail_reason == "customer_refused") == (change_type == "transfer_fail")


def test_a_group_member_change_carries_its_members_and_versions(portal, heard):
    corp = portal.install(0)
    portal.wecom.action(
        "customer_change", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        kind="change_external_chat", change_type="update", members=["lina", "wangfang"],
        last_version="7", version="8",
    )  # fmt: skip
    [event] = [e for e, _c in heard if e.kind == "change_external_chat"]
    assert event.update_detail == "add_member" and event.member_changes == ("lina", "wangfang")
    assert (event.member_change_count, event.last_member_version) == (2, "7")
    assert event.current_member_version == "8"


def test_a_customized_app_hears_them_as_events_on_its_data_url(portal, heard):
    template = next(s for s in portal.wecom.config.suites if s.customized)
    portal.wecom.push_ticket(template.suite_id)
    corpid = portal.wecom.corps[0]
    assert portal.wecom.action("create_auth", suite_id=template.suite_id, corpid=corpid)["push"][
        "ok"
    ]
    pushed = portal.wecom.action(
        "customer_change", suite_id=template.suite_id, corpid=corpid,
        kind="change_external_contact", change_type="del_follow_user",
    )  # fmt: skip
    assert pushed["push"]["ok"], pushed
    record = CallbackEvent.objects.get(kind="change_external_contact")
    assert record.receiver == "data" and "<Event>" in record.xml
    [event] = [e for e, _c in heard if e.kind == "change_external_contact"]
    assert type(event) is ExternalContactChange and event.change_type == "del_follow_user"


def test_an_unknown_change_type_is_refused_by_the_sandbox(portal):
    corp = portal.install(0)
    answer = portal.wecom.http.post(
        f"{portal.wecom.url}/sandbox/api/actions/customer_change", timeout=10,
        json={"suite_id": portal.suite.suite_id, "corpid": corp.corpid,
              "kind": "change_external_tag", "change_type": "explode"},
    )  # fmt: skip
    assert answer.status_code == 400 and "explode" in answer.json()["error"]
