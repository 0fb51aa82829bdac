"""Many callbacks at once, for drills and benches: a burst of text messages, a storm of contact
changes. Each spreads its events round robin over every corp that installed the suite and
delivers them on several concurrent connections, as WeCom's push servers do."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.engine import Authorization
from sandbox.lifecycle import Lifecycle, LifecycleError
from sandbox.pusher import Delivery


def _installed(life: Lifecycle, suite_id: str) -> list[Authorization]:
    if life.sandbox.config.suite(suite_id) is None:
        raise LifecycleError(f"unknown suite {suite_id}")
    with life.sandbox.lock:
        authorizations = [
            a
            for (suite, _), a in life.sandbox.authorizations.items()
            if suite == suite_id and a.active
        ]
    if not authorizations:
        raise LifecycleError(f"suite {suite_id} is not installed in any corp")
    return authorizations


def _deliver_all(pushes: list[Callable[[], Delivery]], threads: int) -> tuple[int, list[float]]:
    """Run every push on ``threads`` connections: how many were acknowledged, and each one's
    time from the first attempt to the last answer, in ms (retries included, as WeCom waits)."""

    def timed(push: Callable[[], Delivery]) -> tuple[bool, float]:
        started = time.perf_counter()
        ok = push().ok
        return ok, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(timed, pushes))
    return sum(ok for ok, _ in outcomes), [ms for _, ms in outcomes]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def message_burst(
    life: Lifecycle, suite_id: str, count: int, *, redeliver_every: int = 0, threads: int = 8
) -> dict[str, int]:
    """Members of every corp that installed the suite send `count` text messages at once; every
    `redeliver_every`-th one is delivered twice, as WeCom does when it misses an answer, right
    after itself so that the two deliveries race on different connections."""
    authorizations = _installed(life, suite_id)
    with life.sandbox.lock:
        senders = [(a, life.corp(a.corpid).admin_userid) for a in authorizations]
    pushes: list[Callable[[], Delivery]] = []
    for number in range(count):
        authorization, userid = senders[number % len(senders)]
        fields = life.text_message(authorization, userid, f"消息 {number}")

        def push(a: Authorization = authorization, f: dict[str, Any] = fields) -> Delivery:
            return life.pusher.data(suite_id, a.corpid, a.agentid, f)

        twice = redeliver_every and number % redeliver_every == 0
        pushes += [push] * (2 if twice else 1)
    delivered, _ = _deliver_all(pushes, threads)
    return {
        "corps": len(senders),
        "messages": count,
        "deliveries": len(pushes),
        "delivered": delivered,
    }


def contact_storm(
    life: Lifecycle, suite_id: str, count: int, *, threads: int = 8
) -> dict[str, Any]:
    """`count` change_contact events (create_user of a new member each, ``storm<n>``) over every
    corp that installed the suite, with the acknowledgement times the sandbox saw."""
    authorizations = _installed(life, suite_id)

    def push(number: int) -> Callable[[], Delivery]:
        corpid = authorizations[number % len(authorizations)].corpid
        member = {"userid": f"storm{number:06d}", "name": f"成员{number}"}
        return lambda: life.change_contact(suite_id, corpid, "create_user", member)

    started = time.perf_counter()
    delivered, acks = _deliver_all([push(number) for number in range(count)], threads)
    return {
        "corps": len(authorizations),
        "events": count,
        "delivered": delivered,
        "seconds": round(time.perf_counter() - started, 3),
        "ack_p50_ms": _percentile(acks, 0.50),
        "ack_p99_ms": _percentile(acks, 0.99),
        "ack_max_ms": _percentile(acks, 1.0),
    }
