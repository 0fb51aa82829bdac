"""SQLite's WAL checkpoints run in a thread of their own, not inside a request's commit."""

import os
import time

import pytest
from django.db import connection

from isvportal.sqlite import CHECKPOINT_INTERVAL

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="a SQLite database's write-ahead log"
)


def test_the_portals_connections_never_checkpoint_on_commit(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 0


def _write_pages(megabytes: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS checkpoint_drill (body text)")
        for _ in range(megabytes * 128):
            cursor.execute(
                "INSERT INTO checkpoint_drill (body) VALUES (%s)", [os.urandom(4000).hex()]
            )


def test_committed_pages_reach_the_database_file_from_the_background(transactional_db):
    """6 MB of commits, past the 1,000 pages (4 MB) at which a commit would checkpoint, reach
    the database file within ten checkpoint intervals although no commit checkpoints (the test
    above): the checkpoint thread copies the log into it."""
    path = connection.settings_dict["NAME"]
    connection.ensure_connection()
    before = os.path.getsize(path)
    try:
        _write_pages(6)
        deadline = time.monotonic() + 10 * CHECKPOINT_INTERVAL
        while os.path.getsize(path) < before + 5_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(path) >= before + 5_000_000
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE checkpoint_drill")
