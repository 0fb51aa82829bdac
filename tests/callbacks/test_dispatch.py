"""Handing events to the worker, and resolving receivers, off the hot path."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from callbacks import tasks
from callbacks.dispatch import MAX_BATCH, Dispatcher
from callbacks.handlers import HANDLERS
from callbacks.models import CallbackEvent
from corps.services import suite_upsert
from isvportal.celery import app as celery_app
from wecom.events import SuiteTicket


@pytest.fixture
def queued(monkeypatch):
    """A worker-backed setup (not eager), with the published batches captured."""
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.dispatch_events, "delay", batches.append)
    celery_app.conf.update(task_always_eager=False)
    yield batches
    celery_app.conf.update(task_always_eager=True)


def test_ids_are_published_in_batches(queued):
    dispatcher = Dispatcher()
    for event_id in range(1, MAX_BATCH + 6):
        dispatcher._pending.append(event_id)
    dispatcher.flush()
    dispatcher.flush()
    assert [len(b) for b in queued] == [MAX_BATCH, 5]
    assert [i for b in queued for i in b] == list(range(1, MAX_BATCH + 6))


def test_submitted_ids_reach_the_broker_from_the_background_thread(queued):
    import time

    dispatcher = Dispatcher()
    for event_id in (7, 8, 9):
        dispatcher.submit(event_id)
    deadline = time.monotonic() + 5
    while sum(len(b) for b in queued) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(i for b in queued for i in b) == [7, 8, 9]


def test_ids_submitted_in_a_stream_share_few_publishes(queued):
    """100 callbacks 2 ms apart (200 ms) go out in a handful of publishes, one per
    FLUSH_INTERVAL at most, not one broker round trip each."""
    import time

    dispatcher = Dispatcher()
    for event_id in range(100):
        dispatcher.submit(event_id)
        time.sleep(0.002)
    deadline = time.monotonic() + 5
    while sum(len(b) for b in queued) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(i for b in queued for i in b) == list(range(100))
    assert len(queued) <= 8, [len(b) for b in queued]


def test_a_broker_failure_does_not_raise(queued, caplog, monkeypatch):
    def down(batch):
        raise ConnectionError("broker gone")

    monkeypatch.setattr(tasks.dispatch_events, "delay", down)
    dispatcher = Dispatcher()
    dispatcher._pending.append(1)
    dispatcher.flush()  # the sweeper will enqueue event 1 later
    assert any(r.message == "callback dispatch failed" for r in caplog.records)


def _received(portal, monkeypatch, count):
    """``count`` suite_ticket events stored and acknowledged, their processing not started."""
    earlier = list(CallbackEvent.objects.values_list("pk", flat=True))
    monkeypatch.setattr(tasks.process_event, "delay", lambda pk: None)
    for number in range(count):
        fields = {"SuiteId": portal.suite.suite_id, "InfoType": "suite_ticket",
                  "TimeStamp": 1, "SuiteTicket": f"ticket-{number}"}  # fmt: skip
        assert portal.post(portal.command_path, *portal.seal(fields)).text == "success"
    monkeypatch.undo()
    events = CallbackEvent.objects.exclude(pk__in=earlier).order_by("pk")
    assert [e.status for e in events] == ["received"] * count
    return [e.pk for e in events]


def test_a_batch_is_processed_in_its_task_without_a_task_per_event(portal, monkeypatch):
    ids = _received(portal, monkeypatch, 3)
    published: list[object] = []
    monkeypatch.setattr(tasks.process_event, "apply_async", lambda *a, **k: published.append(a))
    monkeypatch.setattr(tasks.process_event, "delay", published.append)
    tasks.dispatch_events(event_ids=ids)
    assert published == []
    events = CallbackEvent.objects.filter(pk__in=ids)
    assert {(e.status, e.attempts) for e in events} == {("processed", 1)}


def test_a_failing_event_of_a_batch_gets_a_retrying_task_of_its_own(portal, monkeypatch):
    ids = _received(portal, monkeypatch, 3)
    handle = HANDLERS[SuiteTicket]

    def flaky(record, event):
        if record.pk == ids[1]:
            raise ConnectionError("WeCom unreachable")
        handle(record, event)

    monkeypatch.setitem(HANDLERS, SuiteTicket, flaky)
    retries: list[tuple[object, dict]] = []
    monkeypatch.setattr(tasks.process_event, "apply_async", lambda a, **k: retries.append((a, k)))
    tasks.dispatch_events(event_ids=ids)
    assert [args for args, _ in retries] == [(ids[1],)]
    assert 0 <= retries[0][1]["countdown"] <= 10
    statuses = dict(CallbackEvent.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: "processed", ids[1]: "failed", ids[2]: "processed"}


def test_a_batch_past_its_budget_hands_the_rest_on(portal, monkeypatch):
    ids = _received(portal, monkeypatch, 3)
    handed: list[list[int]] = []
    monkeypatch.setattr(tasks.dispatch_events, "delay", handed.append)
    monkeypatch.setattr(tasks, "BATCH_BUDGET", -1.0)  # spent before the first event
    tasks.dispatch_events(event_ids=ids)
    assert handed == [ids]
    assert set(CallbackEvent.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "received"
    }


def test_a_changed_token_takes_effect_at_once(portal):
    ticket = {
        "SuiteId": portal.suite.suite_id,
        "InfoType": "suite_ticket",
        "TimeStamp": 1,
        "SuiteTicket": "t",
    }
    params, body = portal.seal(ticket)
    assert portal.post(portal.command_path, params, body).status_code == 200  # resolved, cached
    suite_upsert(
        suite_id=portal.suite.suite_id,
        provider_corpid=portal.provider.corpid,
        secret="s",
        token="a-new-token",
        encoding_aes_key=portal.wecom.suite.encoding_aes_key,
    )
    params, body = portal.seal("<xml/>")  # still signed with the old token
    assert portal.post(portal.command_path, params, body).status_code == 403


def test_secrets_that_no_longer_decrypt_answer_503_not_500(portal, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    from callbacks.receive import forget_resolved

    forget_resolved()
    params, body = portal.seal("<xml/>")
    response = portal.post(portal.command_path, params, body)
    assert response.status_code == 503 and "cannot be decrypted" in response.text


def test_the_eager_flag_follows_run_time_changes_and_else_the_configuration(settings):
    from callbacks.dispatch import _eager

    assert _eager()  # the tests' conf.update(task_always_eager=True)
    celery_app.conf.update(task_always_eager=False)
    try:
        assert not _eager()
    finally:
        celery_app.conf.update(task_always_eager=True)
    del celery_app.conf.changes["task_always_eager"]
    try:
        assert not _eager()  # CELERY_TASK_ALWAYS_EAGER: off in the settings
        assert not celery_app.conf.task_always_eager  # as Celery itself reads it
    finally:
        celery_app.conf.update(task_always_eager=True)
