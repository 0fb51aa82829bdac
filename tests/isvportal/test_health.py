from __future__ import annotations

import pytest
from django.db import OperationalError

from isvportal import health
from isvportal.celery import app as celery_app

DEAD_REDIS = "redis://127.0.0.1:1/0"
pytestmark = pytest.mark.django_db


def test_it_reports_every_check_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["latency_ms"] >= 0


def test_it_names_the_backends_it_checked(client, settings):
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


def test_a_dead_broker_degrades(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", DEAD_REDIS)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "error"
    assert DEAD_REDIS not in str(body)


def test_eager_mode_reports_no_broker_to_check(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
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
