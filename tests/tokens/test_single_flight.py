"""Single-flight that neither hangs nor blocks: a slow upstream fetch holds no database lock,
waiters give up after CREDENTIAL_WAIT with 503 credential_busy, a short token lifetime is
renewed before it runs out instead of being fetched on every use, and a row lock wait is
bounded by DATABASE_LOCK_TIMEOUT."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callbacks.models import CallbackEvent
from corps.models import Member
from tokens.models import Credential
from tokens.services import credential_get

Kind = Credential.Kind


def in_flight(wecom, endpoint: str) -> bool:
    return wecom.state()["in_flight"].get(endpoint, 0) > 0


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def in_thread(target):
    results: list[object] = []

    def run():
        try:
            results.append(target())
        except Exception as exc:  # reported by the assertion on results
            results.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def forget(kinds) -> None:
    Credential.objects.filter(kind__in=kinds).delete()
    cache.clear()


def corp_token_fetch_in_flight(portal, *, delay_ms: int):
    """A corp with no token, and a thread fetching one that WeCom answers after ``delay_ms``:
    (the corp, the thread, the list its answer goes to), once the call is in flight."""
    corp = portal.install(0)
    forget([Kind.CORP])
    portal.wecom.reset_logs()
    portal.wecom.action("fault", endpoint="service/get_corp_token", delay_ms=delay_ms)
    thread, answers = in_thread(lambda: credential_get(kind=Kind.CORP, owner=corp))
    wait_until(lambda: in_flight(portal.wecom, "service/get_corp_token"))
    return corp, thread, answers


def test_callbacks_are_stored_while_a_token_fetch_takes_10_seconds(portal, settings):
    """On SQLite the fetch used to hold the write lock, so callbacks waited for WeCom."""
    settings.WECOM_READ_TIMEOUT = 30
    _corp, fetch, token = corp_token_fetch_in_flight(portal, delay_ms=10_000)
    stored = CallbackEvent.objects.count()

    latencies = []
    for n in range(10):
        params, body = portal.seal(
            {
                "SuiteId": portal.suite.suite_id,
                "InfoType": "suite_ticket",
                "TimeStamp": int(time.time()) - n,
                "SuiteTicket": f"t{n}",
            }
        )
        started = time.monotonic()
        response = portal.post(portal.command_path, params, body)
        latencies.append(time.monotonic() - started)
        assert (response.status_code, response.text) == (200, "success")
    assert fetch.is_alive(), "the fetch was meant to be still waiting on WeCom"
    assert max(latencies) < 2.0, latencies
    assert CallbackEvent.objects.count() == stored + 10

    fetch.join(30)
    assert isinstance(token[0], str)
    assert len(portal.wecom.calls("service/get_corp_token")) == 1


def test_a_request_that_waits_past_credential_wait_gets_503_credential_busy(portal, settings):
    settings.WECOM_READ_TIMEOUT = 30
    settings.CREDENTIAL_WAIT = 0.5
    settings.JSSDK_TRUSTED_DOMAINS = ["app.example"]
    portal.install(0)
    answer = portal.http.post(
        f"{portal.url}/api/v1/auth/sso/",
        json={"suite_id": portal.suite.suite_id, "code": portal.oauth_code(0, "lina")},
        timeout=30,
    ).json()
    forget([Kind.JSAPI, Kind.AGENT_CONFIG])
    portal.wecom.action("fault", endpoint="get_jsapi_ticket", delay_ms=3_000)

    def jssdk():
        return portal.http.get(
            f"{portal.url}/api/v1/jssdk/config/",
            params={"url": "https://app.example/page"},
            headers={"Authorization": f"Bearer {answer['token']}"},
            timeout=30,
        )

    first, answers = in_thread(jssdk)
    wait_until(lambda: in_flight(portal.wecom, "get_jsapi_ticket"))
    started = time.monotonic()
    second = jssdk()
    assert time.monotonic() - started < 2.5  # it gave up after CREDENTIAL_WAIT
    assert second.status_code == 503 and second.json()["code"] == "credential_busy"
    first.join(30)
    assert answers[0].status_code == 200  # the fetch it waited for did succeed
    assert len(portal.wecom.calls("get_jsapi_ticket")) == 1


@pytest.mark.django_db
def test_a_240_second_lifetime_is_renewed_before_it_runs_out(isv, time_machine):
    """WeCom may answer a short expires_in; a fixed 300 s margin made every use a fetch."""
    isv.wecom.action("token_lifetime", seconds=240)
    corp = isv.install(0)
    forget([Kind.CORP, Kind.SUITE])
    isv.wecom.reset_logs()
    start = timezone.now()
    values = set()
    for second in range(0, 540, 5):  # a light load for nine minutes
        time_machine.move_to(start + timedelta(seconds=second))
        values.add(credential_get(kind=Kind.CORP, owner=corp))
    fetches = len(isv.wecom.calls("service/get_corp_token"))
    assert 3 <= fetches <= 4  # renewed every 168–204 s, not 108 times
    assert len(values) == fetches


def test_a_fetch_slower_than_the_lease_keeps_it_alive(portal, settings, monkeypatch):
    """The holder extends its lease while WeCom is slow, so a waiter does not take over and
    fetch a second time; it gets the holder's answer."""
    monkeypatch.setattr("tokens.services.LEASE_SECONDS", 1.5)
    settings.WECOM_READ_TIMEOUT = 30
    settings.CREDENTIAL_WAIT = 10
    corp, first, answers = corp_token_fetch_in_flight(portal, delay_ms=4_000)
    second = credential_get(kind=Kind.CORP, owner=corp)  # waits past three lease lengths
    first.join(30)
    assert answers == [second]
    assert len(portal.wecom.calls("service/get_corp_token")) == 1


def test_without_redis_a_waiter_only_reads_the_row_while_another_holds_its_lease(portal, settings):
    """With no Redis lock in front, every waiter polls the credential's row. It used to try to
    claim the lease at each look: an UPDATE, which on SQLite queues for the one write lock the
    holder needs to store its answer. A waiter that sees a live lease now only reads, and gets
    the holder's answer."""
    settings.REDIS_URL = ""
    settings.WECOM_READ_TIMEOUT = 30
    corp, first, answers = corp_token_fetch_in_flight(portal, delay_ms=1_500)
    with CaptureQueriesContext(connection) as queries:
        second = credential_get(kind=Kind.CORP, owner=corp)
    first.join(30)
    assert answers == [second]
    assert len(portal.wecom.calls("service/get_corp_token")) == 1
    looks = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and "tokens_credential" in q["sql"]
    ]
    assert len(looks) >= 4  # it polled the row while the fetch was in flight
    assert [q["sql"] for q in queries if not q["sql"].startswith("SELECT")] == []


def test_a_lease_left_by_a_holder_that_died_is_taken_over_once_it_has_run_out(portal, settings):
    """A holder that died leaves its lease on the row; once it has run out, the next asker
    claims it and fetches, once, instead of waiting for an answer that will never come."""
    settings.REDIS_URL = ""
    settings.CREDENTIAL_WAIT = 2
    corp = portal.install(0)
    credential_get(kind=Kind.CORP, owner=corp)
    Credential.objects.filter(kind=Kind.CORP, corp=corp).update(
        value="", expires_at=None, lease_until=timezone.now() - timedelta(seconds=1),
        lease_token="dead-holder",
    )  # fmt: skip
    cache.clear()
    portal.wecom.reset_logs()
    assert credential_get(kind=Kind.CORP, owner=corp)
    assert len(portal.wecom.calls("service/get_corp_token")) == 1
    assert Credential.objects.get(kind=Kind.CORP, corp=corp).lease_token == ""


def test_a_row_lock_held_too_long_is_a_503_not_a_hang(portal, settings):
    """PostgreSQL: a request waits for a row lock at most DATABASE_LOCK_TIMEOUT (here 0.5 s,
    on the live server's new connections), then answers 503 database_busy."""
    if connection.vendor != "postgresql":
        pytest.skip("lock_timeout is a PostgreSQL setting")
    options = connections.settings["default"].setdefault("OPTIONS", {})
    previous = options.get("options")
    options["options"] = "-c lock_timeout=500"
    corp = portal.install(0)
    code = portal.oauth_code(0, "lina")
    try:
        with transaction.atomic():  # another process holds lina's row
            Member.objects.select_for_update().get(corp=corp, userid="lina")
            started = time.monotonic()
            answer = portal.http.post(
                f"{portal.url}/api/v1/auth/sso/",
                json={"suite_id": portal.suite.suite_id, "code": code},
                timeout=30,
            )
            waited = time.monotonic() - started
    finally:
        options["options"] = previous
    assert answer.status_code == 503 and answer.json()["code"] == "database_busy"
    assert 0.4 < waited < 5
