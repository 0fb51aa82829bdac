"""``GET /healthz``: readiness as JSON (SPEC §3 contract); ``GET /healthz/live``: liveness.

The database is the source of truth: when it is unreachable the answer is 503 "down". Any other
failing check makes the answer "degraded" with 200, because the portal still works without it.
Failures report the exception type only; messages can carry connection URLs.

The checks cost a query, a cache round trip, a broker connection and a ticket query, so a
process reuses its last answer for HEALTHZ_CACHE_SECONDS: a probe every second, or a crowd of
them, costs one run of the checks per interval and process. Concurrent callers during a run
wait for it instead of starting their own.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from corps.models import Suite
from corps.selectors import suites_with_stale_tickets
from isvportal.celery import app as celery_app

Check = Callable[[], dict[str, Any]]


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_cache() -> dict[str, Any]:
    key = f"healthz:{secrets.token_hex(8)}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != "1":
        raise LookupError("cache did not return the value just written")
    return {"backend": "redis" if settings.REDIS_URL else "locmem"}


def check_broker() -> dict[str, Any]:
    if celery_app.conf.task_always_eager:
        return {"transport": "eager"}
    with celery_app.connection_for_write(connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=1)
        return {"transport": conn.transport_cls}


def check_suite_tickets() -> dict[str, Any]:
    """A suite whose newest suite_ticket is past its validity cannot get a suite token."""
    stale = list(suites_with_stale_tickets().values_list("suite_id", flat=True))
    if stale:
        raise StaleTickets(stale)
    return {"suites": Suite.objects.count()}


class StaleTickets(Exception):
    def __init__(self, suite_ids: list[str]) -> None:
        super().__init__(", ".join(suite_ids))
        self.suite_ids = suite_ids


CRITICAL = "database"
CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "suite_tickets": check_suite_tickets,
}


def run_check(check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"status": "ok", **check()}
    except StaleTickets as exc:
        result = {"status": "stale", "stale": exc.suite_ids}
    except Exception as exc:  # a health check reports every failure instead of raising it
        result = {"status": "error", "error": type(exc).__name__}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def overall_status(checks: dict[str, dict[str, Any]]) -> str:
    if checks[CRITICAL]["status"] != "ok":
        return "down"
    if any(result["status"] != "ok" for result in checks.values()):
        return "degraded"
    return "ok"


def readiness() -> dict[str, Any]:
    checks = {name: run_check(check) for name, check in CHECKS.items()}
    return {"status": overall_status(checks), "checks": checks}


_last: tuple[float, dict[str, Any]] | None = None  # (monotonic time, answer), per process
_running = threading.Lock()
_clock = time.monotonic


def cached_readiness() -> dict[str, Any]:
    global _last
    with _running:
        if _last is None or _clock() - _last[0] >= settings.HEALTHZ_CACHE_SECONDS:
            _last = (_clock(), readiness())
        return _last[1]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    answer = cached_readiness()
    return JsonResponse(answer, status=503 if answer["status"] == "down" else 200)


@never_cache
@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    """``GET /healthz/live``: the process answers requests. No I/O, for a load balancer or an
    orchestrator's liveness probe to call as often as it likes; ``/healthz`` is the readiness."""
    return JsonResponse({"status": "ok"})
