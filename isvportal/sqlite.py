"""SQLite's WAL checkpoints, moved off the request path.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync)
inside whichever commit takes the log past 1,000 pages: every hundred or so callback rows, one
request's commit took 5–19 ms instead of 0.1 ms, and on the callback path the requests queued
behind that writer (callbacks/store.py) waited with it. So the portal's connections never
checkpoint on commit; a thread per process checkpoints each database it uses once a second, on
a connection of its own. PASSIVE: it waits for no reader or writer and copies what it can.
PostgreSQL is not concerned.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from isvportal.threads import ProcessThread

log = logging.getLogger(__name__)
CHECKPOINT_INTERVAL = 1.0  # seconds


def checkpoint(path: str) -> None:
    """One PASSIVE checkpoint of the database at ``path``, if it (still) exists."""
    uri = f"file:{quote(path)}?mode=rw"  # never creates the file (a test database deleted since)
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=0)) as db:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as error:  # the next pass tries again
        log.debug("sqlite checkpoint skipped", extra={"error": str(error)})


class Checkpointer:
    def __init__(self) -> None:
        self._paths: set[str] = set()
        self._lock = threading.Lock()
        self._thread = ProcessThread(self._run, "sqlite-checkpoint")

    def watch(self, path: str) -> None:
        with self._lock:
            self._paths.add(path)
            self._thread.ensure()

    def _run(self) -> None:
        while True:
            time.sleep(CHECKPOINT_INTERVAL)
            with self._lock:
                paths = sorted(self._paths)
            for path in paths:
                checkpoint(path)


checkpointer = Checkpointer()


@receiver(connection_created)
def checkpoint_in_the_background(*, connection: Any, **kwargs: object) -> None:
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    connection.connection.execute("PRAGMA wal_autocheckpoint=0")  # not a query of the request's
    checkpointer.watch(str(Path(connection.settings_dict["NAME"]).resolve()))
