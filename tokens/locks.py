"""The Redis half of single-flight.

The lease on the credential's row (tokens/leases.py) is what guarantees one upstream call;
the Redis lock in front of it, when Redis is configured and reachable, keeps the waiting
requests off the database. If Redis is unset or down, this lock is skipped and the lease
alone still serializes refreshes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _redis_lock(name: str, timeout: float) -> Any | None:
    if not settings.REDIS_URL or not hasattr(cache, "lock"):
        return None
    return cache.lock(f"lock:{name}", timeout=timeout, sleep=0.02, thread_local=False)


@contextmanager
def redis_lock(name: str, *, timeout: float, wait: float) -> Iterator[bool]:
    """Hold the named Redis lock for the block, waiting at most ``wait`` seconds for it; it
    expires after ``timeout`` seconds even if its holder dies. Yields whether the caller may go
    on: False only when another process held the lock for the whole wait, True when this one
    holds it or there is no Redis lock to take (unset or down)."""
    lock = _redis_lock(name, timeout)
    held = False
    taken = False
    if lock is not None:
        try:
            held = bool(lock.acquire(blocking=True, blocking_timeout=wait))
            taken = not held
        except Exception as exc:  # Redis down: the row's lease still holds the line
            log.warning("redis lock unavailable", extra={"lock": name, "error": type(exc).__name__})
    try:
        yield not taken
    finally:
        if lock is not None and held:
            try:
                lock.release()
            except Exception as exc:  # expired or Redis gone: nothing left to release
                log.warning("redis lock release failed", extra={"error": type(exc).__name__})
