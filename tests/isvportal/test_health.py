from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from corps.models import Provider, Suite
from isvportal import health
from isvportal.celery import app as celery_app

DEAD_REDIS = "redis://127.0.0.1:1/0"
pytestmark = pytest.mark.django_db


@pytest.fixture
def real_broker():
    """Tests run tasks eagerly; these look at the broker a deployment would use."""
    celery_app.conf.update(task_always_eager=False)
    yield
    celery_app.conf.update(task_always_eager=True)


def add_suite(ticket_age: timedelta | None) -> Suite:
    provider = Provider.objects.create(corpid="wwp", secret="s")
    pushed = None if ticket_age is None else timezone.now() - ticket_age
    return Suite.objects.create(
        provider=provider,
        suite_id="wwsuite",
        secret="s",
        token="t",
        encoding_aes_key="k" * 43,
        suite_ticket="ticket" if pushed else "",
        suite_ticket_at=pushed,
    )


def test_it_reports_every_check_ok(client, real_broker):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "suite_tickets"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["latency_ms"] >= 0


def test_it_names_the_backends_it_checked(client, settings, real_broker):
    checks = client.get("/healthz").json()["checks"]
    assert checks["database"]["vendor"] in ("sqlite", "postgresql")
    assert checks["cache"]["backend"] == ("redis" if settings.REDIS_URL else "locmem")
    assert checks["broker"]["transport"] == ("redis" if settings.REDIS_URL else "filesystem")


def test_a_dead_cache_degrades_but_still_answers_200(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == {
        "status": "error",
        "error": "ConnectionError",
        "latency_ms": body["checks"]["cache"]["latency_ms"],
    }


def test_a_dead_broker_degrades(client, real_broker):
    broker = celery_app.conf.broker_url
    celery_app.conf.update(broker_url=DEAD_REDIS)
    try:
        body = client.get("/healthz").json()
    finally:
        celery_app.conf.update(broker_url=broker)
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "error"
    assert DEAD_REDIS not in str(body)


def test_eager_mode_reports_no_broker_to_check(client):
    assert client.get("/healthz").json()["checks"]["broker"]["transport"] == "eager"


def test_an_unreachable_database_is_down_with_503(client, monkeypatch):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"]["error"] == "OperationalError"


def test_it_is_never_cached_and_only_answers_get(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_a_fresh_suite_ticket_is_ok(client):
    add_suite(timedelta(minutes=9))
    check = client.get("/healthz").json()["checks"]["suite_tickets"]
    assert check["status"] == "ok" and check["suites"] == 1


@pytest.mark.parametrize("age", [timedelta(minutes=31), None], ids=["old", "never-pushed"])
def test_a_stale_suite_ticket_degrades_but_answers_200(client, age):
    add_suite(age)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["suite_tickets"]["status"] == "stale"
    assert body["checks"]["suite_tickets"]["stale"] == ["wwsuite"]


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_is_reused_for_the_cache_interval(client, settings, monkeypatch):
    """Within HEALTHZ_CACHE_SECONDS a process answers from its last run of the checks (one
    query for ten probes); after it, the checks run again and see what changed."""
    settings.HEALTHZ_CACHE_SECONDS = 60
    monkeypatch.setattr(health, "_last", None)
    runs = []

    def counted() -> dict[str, str]:
        runs.append(1)
        return {"vendor": "counted"}

    monkeypatch.setitem(health.CHECKS, "database", counted)
    for _ in range(10):
        assert client.get("/healthz").json()["status"] in ("ok", "degraded")
    assert len(runs) == 1
    later = health._clock() + 61
    monkeypatch.setattr(health, "_clock", lambda: later)

    def unreachable():
        raise OperationalError("gone")

    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "down"
