"""Handing events to the worker, and resolving receivers, off the hot path."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from callbacks import tasks
from callbacks.dispatch import MAX_BATCH, Dispatcher
from corps.services import suite_upsert
from isvportal.celery import app as celery_app


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


def test_dispatch_events_fans_out_one_task_per_event(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(tasks.process_event, "delay", sent.append)
    tasks.dispatch_events(event_ids=[3, 4])
    assert sent == [3, 4]


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
