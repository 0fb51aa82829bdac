"""Events processed correctly under races: a worker whose claim ran out cannot overwrite the
result of the worker that took over, replay refuses an event being processed, contact changes
delivered out of order never undo a newer change or bring back a deleted member, and a failure
keeps its traceback."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.models import CallbackEvent
from callbacks.services import EventBusyError, event_process, event_replay
from callbacks.signals import app_event
from corps.models import Member, MemberTombstone

Status = CallbackEvent.Status


def enter_agent(portal, corp):
    fields = {"ToUserName": corp.corpid, "FromUserName": "lina", "CreateTime": int(time.time()),
              "MsgType": "event", "Event": "enter_agent", "AgentID": corp.agentid}  # fmt: skip
    return portal.seal(fields, receive_id=corp.corpid, to_user_name=corp.corpid)


@pytest.fixture
def stored_event(portal, monkeypatch):
    """An enter_agent event stored but not processed yet: the test plays the workers."""
    from callbacks.dispatch import dispatcher

    corp = portal.install(0)
    monkeypatch.setattr(dispatcher, "submit", lambda event_id: None)
    params, body = enter_agent(portal, corp)
    response = portal.post(f"/callbacks/data/{portal.suite.suite_id}/", params, body)
    assert response.status_code == 200
    return CallbackEvent.objects.get(kind="enter_agent")


def test_a_worker_whose_claim_ran_out_cannot_overwrite_the_next_workers_result(
    stored_event, settings
):
    outcomes = []

    def slow_worker_fails_after_being_overtaken(**kwargs):
        app_event.disconnect(slow_worker_fails_after_being_overtaken)
        settings.CALLBACK_CLAIM_LEASE = 0  # this worker's claim has run out
        outcomes.append(event_process(event_id=stored_event.pk))  # another worker takes over
        raise RuntimeError("the first worker fails, late")

    app_event.connect(slow_worker_fails_after_being_overtaken, weak=False)
    with pytest.raises(RuntimeError):
        event_process(event_id=stored_event.pk)

    assert outcomes == [True]
    event = CallbackEvent.objects.get(pk=stored_event.pk)
    assert event.status == Status.PROCESSED and event.last_error == ""
    assert event.attempts == 2


def test_replay_refuses_an_event_that_is_being_processed(stored_event, settings):
    CallbackEvent.objects.filter(pk=stored_event.pk).update(
        status=Status.PROCESSING, claimed_at=timezone.now()
    )
    with pytest.raises(EventBusyError):
        event_replay(event=stored_event)
    assert CallbackEvent.objects.get(pk=stored_event.pk).status == Status.PROCESSING

    expired = timezone.now() - timedelta(seconds=settings.CALLBACK_CLAIM_LEASE + 1)
    CallbackEvent.objects.filter(pk=stored_event.pk).update(claimed_at=expired)
    event_replay(event=stored_event)  # a dead worker's claim: replay may take it over
    assert CallbackEvent.objects.get(pk=stored_event.pk).status == Status.RECEIVED


def test_a_failed_event_keeps_its_traceback(stored_event):
    def broken(**kwargs):
        raise ValueError("the ISV's receiver is broken")

    app_event.connect(broken, weak=False)
    try:
        with pytest.raises(ValueError):
            event_process(event_id=stored_event.pk)
    finally:
        app_event.disconnect(broken)
    event = CallbackEvent.objects.get(pk=stored_event.pk)
    assert event.status == Status.FAILED
    assert "Traceback" in event.traceback and "the ISV's receiver is broken" in event.traceback


def contact(portal, corp, stamp: int, change: str, **fields):
    document = {"SuiteId": portal.suite.suite_id, "AuthCorpId": corp.corpid,
                "InfoType": "change_contact", "TimeStamp": stamp, "ChangeType": change,
                "UserID": "lina", **fields}  # fmt: skip
    params, body = portal.seal(document)
    response = portal.post(portal.command_path, params, body)
    assert (response.status_code, response.text) == (200, "success")


def lina(corp) -> Member | None:
    return Member.objects.filter(corp=corp, userid="lina").first()


def test_an_older_change_delivered_late_does_not_undo_a_newer_one(portal):
    corp = portal.install(0)
    open_userid = lina(corp).open_userid
    now = int(time.time())
    contact(portal, corp, now + 20, "update_user", OpenUserID=open_userid, Name="李娜 (newer)")
    contact(portal, corp, now + 10, "update_user", OpenUserID=open_userid, Name="李娜 (older)")
    assert lina(corp).name == "李娜 (newer)"


def test_a_change_older_than_a_deletion_does_not_bring_the_member_back(portal):
    corp = portal.install(0)
    open_userid = lina(corp).open_userid
    now = int(time.time())
    contact(portal, corp, now + 20, "delete_user", OpenUserID=open_userid)
    contact(portal, corp, now + 10, "update_user", OpenUserID=open_userid, Name="李娜 (stale)")
    assert lina(corp) is None
    assert MemberTombstone.objects.filter(corp=corp, open_userid=open_userid).exists()
    # Added again later in WeCom: a newer change applies, and the tombstone goes.
    contact(portal, corp, now + 30, "create_user", OpenUserID=open_userid, Name="李娜")
    assert lina(corp).name == "李娜"
    assert not MemberTombstone.objects.filter(corp=corp, open_userid=open_userid).exists()


def test_a_deletion_older_than_a_re_add_does_not_remove_the_member(portal):
    corp = portal.install(0)
    open_userid = lina(corp).open_userid
    now = int(time.time())
    contact(portal, corp, now + 20, "update_user", OpenUserID=open_userid, Name="李娜 (back)")
    contact(portal, corp, now + 10, "delete_user", OpenUserID=open_userid)
    assert lina(corp).name == "李娜 (back)"
