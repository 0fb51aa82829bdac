"""A background thread that each process starts for itself."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class ProcessThread:
    """A daemon thread running ``target``, started on first use in each process: a forking
    server (gunicorn, Celery's prefork) copies the object but not the thread. Callers serialize
    ``ensure`` themselves (under the lock that guards what the thread reads)."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self._target = target
        self._name = name
        self._thread: threading.Thread | None = None
        self._pid = 0

    def ensure(self) -> None:
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._target, name=self._name, daemon=True)
            self._thread.start()
