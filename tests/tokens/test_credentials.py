"""The credential service against the sandbox: fetched, cached, reused, renewed early,
re-fetched once after a revocation, single-flight under concurrency, fail-closed for cancelled
corps and stale tickets."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from corps.services import corp_cancel
from tokens.models import Credential
from tokens.services import (
    CorpCancelledError,
    SuiteTicketError,
    corp_api,
    credential_get,
    credential_invalidate,
    provider_api,
    suite_api,
)

Kind = Credential.Kind
ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = {
    Kind.SUITE: "service/get_suite_token",
    Kind.PROVIDER: "service/get_provider_token",
    Kind.CORP: "service/get_corp_token",
    Kind.JSAPI: "get_jsapi_ticket",
    Kind.AGENT_CONFIG: "ticket/get",
}


def owner_of(kind, isv, corp):
    return {Kind.SUITE: isv.suite, Kind.PROVIDER: isv.provider}.get(kind, corp)


@pytest.fixture
def corp(isv):
    return isv.install()


def upstream_calls(isv, kind):
    return [c for c in isv.wecom.calls(UPSTREAM[kind]) if c["errcode"] == 0]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(Kind))
class TestEachKind:
    def test_it_is_fetched_once_then_reused(self, isv, corp, kind):
        owner = owner_of(kind, isv, corp)
        cache.clear()
        Credential.objects.filter(kind=kind).delete()
        isv.wecom.reset_logs()
        first = credential_get(kind=kind, owner=owner)
        assert credential_get(kind=kind, owner=owner) == first
        cache.clear()  # from the database row then
        assert credential_get(kind=kind, owner=owner) == first
        assert len(upstream_calls(isv, kind)) == 1

    def test_it_is_stored_encrypted_with_its_expiry(self, isv, corp, kind):
        value = credential_get(kind=kind, owner=owner_of(kind, isv, corp))
        row = Credential.objects.get(kind=kind)
        lifetime = (row.expires_at - row.fetched_at).total_seconds()
        renew_after = (row.refresh_at - row.fetched_at).total_seconds()
        assert lifetime == pytest.approx(7200, abs=5)
        assert 0.70 * lifetime <= renew_after <= 0.85 * lifetime
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM tokens_credential WHERE id = %s", [row.pk])
            stored = cursor.fetchone()[0]
        assert value not in stored

    def test_it_is_renewed_early(self, isv, corp, kind, time_machine):
        owner = owner_of(kind, isv, corp)
        first = credential_get(kind=kind, owner=owner)
        row = Credential.objects.get(kind=kind)
        isv.wecom.reset_logs()
        time_machine.move_to(row.refresh_at - timedelta(seconds=5))
        assert credential_get(kind=kind, owner=owner) == first
        time_machine.move_to(row.refresh_at + timedelta(seconds=1))
        isv.store_ticket()  # WeCom keeps pushing tickets meanwhile
        renewed = credential_get(kind=kind, owner=owner)
        if kind != Kind.PROVIDER:  # WeCom hands out the same provider token while it is valid
            assert renewed != first
        assert Credential.objects.get(kind=kind).fetched_at > row.fetched_at
        assert len(upstream_calls(isv, kind)) == 1

    def test_a_revoked_value_is_refetched_exactly_once(self, isv, corp, kind):
        owner = owner_of(kind, isv, corp)
        stale = credential_get(kind=kind, owner=owner)
        isv.wecom.reset_logs()
        assert credential_invalidate(kind=kind, owner=owner, failed_value=stale)
        assert not credential_invalidate(kind=kind, owner=owner, failed_value=stale)
        fresh = credential_get(kind=kind, owner=owner)
        if kind != Kind.PROVIDER:  # the same provider token comes back while WeCom keeps it
            assert fresh != stale
        assert credential_get(kind=kind, owner=owner) == fresh
        assert len(upstream_calls(isv, kind)) == 1


@pytest.mark.django_db
def test_a_token_the_sandbox_revokes_is_replaced_and_the_call_retried(isv, corp):
    api = corp_api(corp)
    api.get_permissions()
    isv.wecom.action("revoke_tokens", corpid=corp.corpid)
    isv.wecom.reset_logs()
    assert "contact:base:base" in api.get_permissions()
    assert len(upstream_calls(isv, Kind.CORP)) == 1
    assert [c["errcode"] for c in isv.wecom.calls("agent/get_permissions")] == [40014, 0]


@pytest.mark.django_db
def test_a_burst_of_failures_with_the_same_token_refetches_once(isv, corp):
    stale = credential_get(kind=Kind.CORP, owner=corp)
    isv.wecom.action("revoke_tokens", corpid=corp.corpid)
    isv.wecom.reset_logs()
    results = [
        credential_invalidate(kind=Kind.CORP, owner=corp, failed_value=stale) for _ in range(20)
    ]
    values = {credential_get(kind=Kind.CORP, owner=corp) for _ in range(20)}
    assert results.count(True) == 1
    assert len(values) == 1
    assert len(upstream_calls(isv, Kind.CORP)) == 1


@pytest.mark.django_db
def test_every_scope_works_through_the_service(isv, corp):
    assert suite_api(isv.suite).get_pre_auth_code().value
    assert provider_api(isv.provider).get_register_code(template_id="tpldemo001").value
    assert corp_api(corp).department_list()[0].id == 1


@pytest.mark.django_db
def test_a_cancelled_corp_gets_no_credential_and_no_call_is_made(isv, corp):
    corp = corp_cancel(corp=corp)
    isv.wecom.reset_logs()
    for kind in (Kind.CORP, Kind.JSAPI, Kind.AGENT_CONFIG):
        with pytest.raises(CorpCancelledError, match=corp.corpid):
            credential_get(kind=kind, owner=corp)
    with pytest.raises(CorpCancelledError):
        corp_api(corp).get_permissions()
    assert isv.wecom.calls() == []


@pytest.mark.django_db
def test_a_stale_corp_object_is_still_refused_once_the_database_says_cancelled(isv, corp):
    corp_cancel(corp=corp)  # ``corp`` in memory still says active
    Credential.objects.all().delete()
    cache.clear()
    isv.wecom.reset_logs()
    with pytest.raises(CorpCancelledError):
        credential_get(kind=Kind.CORP, owner=corp)
    assert isv.wecom.calls("service/get_corp_token") == []


@pytest.mark.django_db
def test_a_suite_without_a_ticket_says_so(isv):
    isv.suite.suite_ticket, isv.suite.suite_ticket_at = "", None
    isv.suite.save()
    with pytest.raises(SuiteTicketError, match=rf"{isv.suite.suite_id}.*no suite_ticket"):
        credential_get(kind=Kind.SUITE, owner=isv.suite)


@pytest.mark.django_db
def test_a_refused_ticket_names_the_suite_and_the_tickets_age(isv, time_machine):
    time_machine.move_to(timezone.now() + timedelta(minutes=31))
    isv.wecom.action("advance_clock", seconds=31 * 60)
    with pytest.raises(SuiteTicketError, match=rf"{isv.suite.suite_id}.*31 minutes ago") as raised:
        credential_get(kind=Kind.SUITE, owner=isv.suite)
    assert isv.wecom.calls("service/get_suite_token")[-1]["errcode"] == 40085
    row = Credential.objects.get(kind=Kind.SUITE)
    assert row.failures == 1 and "31 minutes" in row.last_error
    assert "refused" in str(raised.value)


def ask_concurrently(count, kind, owner):
    barrier = threading.Barrier(count)
    values, errors = [], []

    def ask():
        try:
            barrier.wait()
            values.append(credential_get(kind=kind, owner=owner))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return values, errors


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_asking_a_cold_corp_token_cause_one_upstream_call(isv):
    corp = isv.install()
    Credential.objects.filter(kind=Kind.CORP).delete()
    cache.clear()
    isv.wecom.reset_logs()
    values, errors = ask_concurrently(50, Kind.CORP, corp)
    assert errors == []
    assert len(values) == 50 and len(set(values)) == 1
    assert len(isv.wecom.calls("service/get_corp_token")) == 1


@pytest.mark.django_db(transaction=True)
def test_processes_asking_a_cold_corp_token_cause_one_upstream_call(isv, settings):
    if connection.vendor != "postgresql":
        pytest.skip("several processes share one database only on PostgreSQL here")
    corp = isv.install()
    Credential.objects.filter(kind=Kind.CORP).delete()
    cache.clear()
    isv.wecom.reset_logs()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
        "WECOM_API_BASE": settings.WECOM_API_BASE,
    }
    script = (
        "import django, threading; django.setup();"
        "from corps.models import AuthorizedCorp; from tokens.services import credential_get;"
        f"corp = AuthorizedCorp.objects.get(pk={corp.pk});"
        "threads = [threading.Thread(target=credential_get, kwargs={'kind': 'corp', 'owner': corp})"
        " for _ in range(10)];"
        "[t.start() for t in threads]; [t.join() for t in threads]"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "isvportal.settings"},
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()[-2000:]
    assert len(isv.wecom.calls("service/get_corp_token")) == 1


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_locking_falls_back_to_the_database(isv, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    corp = isv.install()
    Credential.objects.filter(kind=Kind.CORP).delete()
    isv.wecom.reset_logs()
    values, errors = ask_concurrently(8, Kind.CORP, corp)
    assert errors == [] and len(set(values)) == 1
    assert len(isv.wecom.calls("service/get_corp_token")) == 1
