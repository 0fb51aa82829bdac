"""Stored, then acknowledged, then processed exactly once, whatever WeCom or the database do."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.db.models import ProtectedError
from django.utils import timezone

from callbacks import store, tasks, views
from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Member
from isvportal.celery import app as celery_app
from tokens.authorization import corp_install_by_auth_code
from tokens.models import Credential
from tokens.services import CorpCancelledError, credential_get


def create_auth(portal, corp_index=0):
    """A create_auth event for a fresh install, sealed but not yet delivered."""
    auth_code, _ = portal.wecom.server.app.lifecycle.install(
        portal.suite.suite_id, portal.wecom.corps[corp_index], push=False
    )
    fields = {"SuiteId": portal.suite.suite_id, "InfoType": "create_auth",
              "TimeStamp": int(time.time()), "AuthCode": auth_code, "State": ""}  # fmt: skip
    return auth_code, portal.seal(fields)


@pytest.fixture
def eager_retries():
    celery_app.conf.update(task_eager_propagates=False)
    yield
    celery_app.conf.update(task_eager_propagates=True)


def test_one_envelope_four_times_two_at_once_is_one_install(portal):
    _, (params, body) = create_auth(portal)
    portal.wecom.reset_logs()
    replies = []

    def deliver():
        replies.append(portal.post(portal.command_path, params, body))
        connections.close_all()

    pair = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in pair:
        thread.start()
    for thread in pair:
        thread.join(30)
    deliver()
    deliver()
    assert [(r.status_code, r.text) for r in replies] == [(200, "success")] * 4
    assert CallbackEvent.objects.filter(kind="create_auth").count() == 1
    assert CallbackEvent.objects.get(kind="create_auth").status == "processed"
    assert AuthorizedCorp.objects.count() == 1
    assert len(portal.wecom.calls("service/get_permanent_code")) == 1


def test_two_distinct_events_in_the_same_second_are_both_processed(portal):
    corp = portal.install(0)
    second = int(time.time())
    for userid, name in (("sunli", "孙丽"), ("qianqi", "钱七")):
        params, body = portal.seal(
            {"SuiteId": portal.suite.suite_id, "AuthCorpId": corp.corpid,
             "InfoType": "change_contact", "TimeStamp": second, "ChangeType": "create_user",
             "UserID": userid, "OpenUserID": f"wo-{userid}", "Name": name},
            timestamp=second,
        )  # fmt: skip
        assert portal.post(portal.command_path, params, body).text == "success"
    assert CallbackEvent.objects.filter(kind="change_contact", status="processed").count() == 2
    assert set(Member.objects.filter(corp=corp).values_list("name", flat=True)) >= {"孙丽", "钱七"}


def test_create_auth_racing_the_install_redirect_makes_one_corp(portal):
    auth_code, (params, body) = create_auth(portal, 1)
    portal.wecom.reset_logs()
    corps, errors = [], []

    def redirect_path():
        try:
            corps.append(corp_install_by_auth_code(suite=portal.suite, auth_code=auth_code).pk)
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    racer = threading.Thread(target=redirect_path)
    racer.start()
    assert portal.post(portal.command_path, params, body).text == "success"
    racer.join(30)
    assert errors == []
    assert AuthorizedCorp.objects.count() == 1 and corps == [AuthorizedCorp.objects.get().pk]
    assert len(portal.wecom.calls("service/get_permanent_code")) == 1


def test_a_handler_that_fails_once_is_retried_and_processed_once(portal, eager_retries):
    """get_permanent_code spends the auth_code, so the client does not repeat it after WeCom
    answered (even -1): the task's own retry does, once."""
    portal.wecom.action("fault", endpoint="service/get_permanent_code", count=1, errcode=-1)
    _, (params, body) = create_auth(portal)
    assert portal.post(portal.command_path, params, body).text == "success"
    record = CallbackEvent.objects.get(kind="create_auth")
    assert record.status == "processed" and record.attempts == 2
    assert AuthorizedCorp.objects.count() == 1
    calls = [c["errcode"] for c in portal.wecom.calls("service/get_permanent_code")]
    assert calls == [-1, 0]  # no retry by the client, then the task's retry


def test_an_event_claimed_by_a_worker_that_died_is_processed_once_later(portal, monkeypatch):
    monkeypatch.setattr(tasks.process_event, "delay", lambda pk: None)  # broker lost the task
    _, (params, body) = create_auth(portal)
    assert portal.post(portal.command_path, params, body).text == "success"
    record = CallbackEvent.objects.get(kind="create_auth")
    CallbackEvent.objects.filter(pk=record.pk).update(  # as if a worker died mid-task
        status="processing", claimed_at=timezone.now() - timedelta(minutes=6), attempts=1
    )
    monkeypatch.undo()
    assert tasks.requeue_stalled_events() == 1
    assert tasks.requeue_stalled_events() == 0
    record.refresh_from_db()
    assert record.status == "processed" and record.attempts == 2
    assert AuthorizedCorp.objects.count() == 1


def test_an_event_stored_while_the_broker_was_down_is_swept_up(portal, monkeypatch, time_machine):
    def broker_down(pk):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.process_event, "delay", broker_down)
    _, (params, body) = create_auth(portal)
    assert portal.post(portal.command_path, params, body).text == "success"  # still acknowledged
    assert CallbackEvent.objects.get(kind="create_auth").status == "received"
    monkeypatch.undo()
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    assert tasks.requeue_stalled_events() == 1
    assert CallbackEvent.objects.get(kind="create_auth").status == "processed"
    assert AuthorizedCorp.objects.count() == 1


def test_a_database_error_answers_503_and_the_redelivery_succeeds(portal, monkeypatch):
    real_store = views.event_store
    failures: list[object] = []

    def flaky_store(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(**kwargs)

    monkeypatch.setattr(views, "event_store", flaky_store)
    corp = portal.install(0)  # the sandbox's first delivery gets 503, its retry succeeds
    assert corp.is_active
    push = portal.wecom.pushes("create_auth")[-1]
    assert push["ok"] and push["attempts"] == 2
    assert CallbackEvent.objects.filter(kind="create_auth").count() == 1


def test_after_cancel_auth_no_call_is_made_for_the_corp(portal):
    corp = portal.install(0)
    portal.act("cancel_auth", corp)
    portal.wecom.reset_logs()
    corp.refresh_from_db()
    with pytest.raises(CorpCancelledError):
        credential_get(kind="corp", owner=corp)
    from tokens.tasks import refresh_due_credentials

    Credential.objects.update(refresh_at=timezone.now())
    refresh_due_credentials()
    portal.push_ticket()
    assert [c for c in portal.wecom.calls() if c["corpid"] == corp.corpid] == []


def test_retention_deletes_old_processed_events_only(portal, settings):
    portal.install(0)
    settings.CALLBACK_RETENTION_DAYS = 7
    old = timezone.now() - timedelta(days=8)
    CallbackEvent.objects.update(received_at=old)
    failed = CallbackEvent.objects.create(
        receiver="command", kind="x", dedupe_key="k", envelope="", xml="<xml/>", status="failed"
    )
    CallbackEvent.objects.filter(pk=failed.pk).update(received_at=old)
    old_and_done = CallbackEvent.objects.exclude(status="failed").count()
    assert old_and_done >= 2  # the fixture's suite_ticket and the create_auth
    assert tasks.purge_old_events() == old_and_done
    assert list(CallbackEvent.objects.values_list("status", flat=True)) == ["failed"]


def test_the_event_log_keeps_its_references_without_database_constraints(portal):
    """The event row has no foreign-key constraints in the database (they cost every callback
    a lock on its suite's row); Django still refuses to delete a suite or provider with stored
    events, and deleting a corp keeps its events with the corp cleared."""
    corp = portal.install(0)
    events = CallbackEvent.objects.filter(corp=corp)
    assert events.exists()
    for referenced in (portal.suite, portal.suite.provider):
        with pytest.raises(ProtectedError) as refused:
            referenced.delete()
        # Other rows protect them too: the events must be among what stops the delete.
        assert {e for e in refused.value.protected_objects if isinstance(e, CallbackEvent)}
    count = events.count()
    corp.delete()
    assert CallbackEvent.objects.filter(corpid=corp.corpid, corp=None).count() == count


def test_a_stored_event_starts_from_the_database_defaults(portal, monkeypatch):
    """The callback's INSERT leaves out the columns every new row starts with; the database
    fills them, and an INSERT that would leave out a column without a default is refused."""
    monkeypatch.setattr(tasks.process_event, "delay", lambda pk: None)  # stays received
    _, (params, body) = create_auth(portal)
    assert portal.post(portal.command_path, params, body).text == "success"
    row = CallbackEvent.objects.get(kind="create_auth")
    assert (row.status, row.attempts, row.last_error, row.traceback) == ("received", 0, "", "")
    assert (row.claimed_at, row.processed_at) == (None, None)
    with pytest.raises(ValueError, match="dedupe_key"):
        store._write([{"receiver": "command", "kind": "x", "envelope": "", "xml": ""}])
