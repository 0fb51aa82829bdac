"""Hands stored events to the worker without making WeCom wait for the broker.

Publishing a Celery task costs about as much as storing the event, so the web process queues
event ids in memory and a background thread publishes them in batches. An id lost with a
crashing process is not an event lost: the row stays ``received`` and the beat task
``requeue_stalled_events`` enqueues it. With eager tasks (tests, tiny setups) events are
processed inline, as before.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from isvportal.celery import app as celery_app
from isvportal.threads import ProcessThread

log = logging.getLogger(__name__)
FLUSH_INTERVAL = 0.25  # seconds: at most 4 publishes a second per process
MAX_BATCH = 200


def _eager() -> bool:
    """Whether tasks run inline (tests, tiny setups). Celery's lookup of the flag tries each of
    its spellings in each of its maps through caught KeyErrors, about a fortieth of a callback's
    instructions. So a value set at run time (``conf.update``, as the tests do) is read where
    Celery keeps run-time changes, and the configured one (CELERY_TASK_ALWAYS_EAGER) is looked up
    once per process."""
    changed = (celery_app.conf.changes or {}).get("task_always_eager")
    return _configured_eager() if changed is None else bool(changed)


@functools.cache
def _configured_eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


class Dispatcher:
    def __init__(self) -> None:
        self._pending: list[int] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = ProcessThread(self._run, "callback-dispatch")

    def submit(self, event_id: int) -> None:
        from callbacks.tasks import process_event

        if _eager():
            process_event.delay(event_id)
            return
        with self._lock:
            self._pending.append(event_id)
            self._thread.ensure()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.flush()
            # Sleep, not wait on the event: ids submitted meanwhile go out together, in one
            # publish per interval, however many callbacks arrive.
            time.sleep(FLUSH_INTERVAL)

    def flush(self) -> None:
        from callbacks.tasks import dispatch_events

        with self._lock:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            if self._pending:
                self._wake.set()
        if not batch:
            return
        try:
            dispatch_events.delay(batch)
        except Exception as exc:  # the sweeper enqueues these once the broker is back
            log.warning(
                "callback dispatch failed",
                extra={"events": len(batch), "error": type(exc).__name__},
            )


dispatcher = Dispatcher()
