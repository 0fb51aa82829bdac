"""The event log's writer (callbacks/store.py): callbacks that queue behind a write share the
next INSERT, each learns its own row, a failed statement fails every callback in it, duplicate
dedupe keys get the first row, a caller inside a transaction writes its row itself, and each
row's corp is found by the INSERT itself."""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone

from callbacks.models import CallbackEvent
from callbacks.store import GroupCommit, _write
from corps.models import AuthorizedCorp, Provider, Suite

pytestmark = pytest.mark.django_db(transaction=True)


def row(key: str, **changes: object) -> dict[str, object]:
    return {"receiver": "command", "corpid": "", "kind": "suite_ticket", "change_type": "",
            "dedupe_key": key,
            "envelope": "<xml/>", "xml": "<xml/>", "status": "received",
            "received_at": timezone.now(), **changes}  # fmt: skip


@contextmanager
def writes_held() -> Iterator[None]:
    """Another connection holds the write lock on the event table until the block ends."""
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        if other.vendor == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {CallbackEvent._meta.db_table} IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            cursor.execute("ROLLBACK")
    other.close()


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Rollback(Exception):
    pass


class Caller(threading.Thread):
    """A request thread: inserts one row through the writer (inside a transaction it then rolls
    back, if ``rolled_back``) and counts the INSERTs its own connection runs."""

    def __init__(
        self, writer: GroupCommit, values: dict[str, object], *, rolled_back: bool = False
    ) -> None:
        super().__init__()
        self.writer, self.values, self.rolled_back = writer, values, rolled_back
        self.inserts = 0
        self.outcome: tuple[int, bool] | None = None
        self.error: Exception | None = None
        self.executing = threading.Event()  # any statement, BEGIN included
        self.inserting = threading.Event()

    def count(self, execute, sql, params, many, context):
        self.executing.set()
        if sql.startswith("INSERT"):
            self.inserts += 1
            self.inserting.set()
        return execute(sql, params, many, context)

    def run(self) -> None:
        try:
            with connection.execute_wrapper(self.count):
                if not self.rolled_back:
                    self.outcome = self.writer.insert(self.values)
                    return
                with transaction.atomic():
                    self.outcome = self.writer.insert(self.values)
                    raise Rollback
        except Rollback:
            pass
        except Exception as error:
            self.error = error
        finally:
            connection.close()


def write_while_three_queue(rows: list[dict[str, object]]) -> tuple[Caller, list[Caller]]:
    """A first caller's INSERT waits for the lock; three more callers queue behind it; then the
    lock goes."""
    writer = GroupCommit()
    first = Caller(writer, row("first"))
    queued = [Caller(writer, values) for values in rows]
    with writes_held():
        first.start()
        first.inserting.wait(10)
        for caller in queued:
            caller.start()
        until(lambda: len(writer._queue) == len(queued))
    for caller in [first, *queued]:
        caller.join(30)
    return first, queued


def test_callbacks_that_queue_behind_a_write_share_the_next_insert():
    first, queued = write_while_three_queue([row("b"), row("c"), row("d")])
    assert first.inserts == 1 and first.outcome is not None and first.outcome[1]
    assert sorted(caller.inserts for caller in queued) == [0, 0, 1]  # one of them wrote all
    stored = dict(CallbackEvent.objects.values_list("dedupe_key", "pk"))
    assert [caller.outcome for caller in queued] == [(stored[k], True) for k in "bcd"]
    assert len(stored) == 4


def test_a_failed_statement_fails_every_callback_in_it():
    """Nothing of a failed statement is stored, so none of its callbacks is acknowledged
    (the view answers 503 and WeCom delivers each again)."""
    first, queued = write_while_three_queue([row("b"), row("c", kind=None), row("d")])
    assert first.outcome is not None and first.error is None
    assert [type(caller.error) for caller in queued] == [IntegrityError] * 3
    assert list(CallbackEvent.objects.values_list("dedupe_key", flat=True)) == ["first"]


def test_duplicate_keys_in_a_statement_and_before_it_get_the_first_row():
    [(earlier, created)] = _write([row("k0")])
    assert created
    outcomes = _write([row("k1"), row("k1"), row("k0"), row("k2")])
    stored = dict(CallbackEvent.objects.values_list("dedupe_key", "pk"))
    assert outcomes == [(stored["k1"], True), (stored["k1"], False), (earlier, False),
                        (stored["k2"], True)]  # fmt: skip
    assert len(stored) == 3


def test_a_full_statement_learns_each_row_by_its_key():
    """The most rows a statement takes, their keys in no sorted order, after rows written
    earlier: each callback gets the pk of the row that holds its own key."""
    _write([row("earlier-a"), row("earlier-b")])
    keys = [f"k{(index * 37) % 64:02d}" for index in range(64)]
    outcomes = _write([row(key) for key in keys])
    stored = dict(CallbackEvent.objects.values_list("dedupe_key", "pk"))
    assert outcomes == [(stored[key], True) for key in keys]


def test_a_partial_statement_learns_the_rows_it_wrote_among_taken_keys():
    """Rows written later than a taken key's row are told apart from it by key, not by position."""
    [(taken, _)] = _write([row("late")])
    outcomes = _write([row("a"), row("late"), row("b"), row("a")])
    stored = dict(CallbackEvent.objects.values_list("dedupe_key", "pk"))
    assert outcomes == [(stored["a"], True), (taken, False), (stored["b"], True),
                        (stored["a"], False)]  # fmt: skip


def test_on_sqlite_the_write_lock_is_free_as_soon_as_the_insert_returns():
    """The INSERT commits inside the call that runs it. With RETURNING, SQLite committed only
    once the returned rows had been read, after the request thread had taken the GIL back: every
    web process's writer waited on that thread (callbacks/store.py, ``_returns_rows``)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    path = connection.settings_dict["NAME"]
    free: list[bool] = []

    def probe(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("INSERT"):
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                free.append(True)
            except sqlite3.OperationalError:  # database is locked
                free.append(False)
            finally:
                other.close()
        return result

    with connection.execute_wrapper(probe):
        [(pk, created)] = _write([row("probed")])
    assert free == [True]
    assert created and CallbackEvent.objects.get(pk=pk).dedupe_key == "probed"


def test_a_caller_inside_a_transaction_writes_its_row_itself():
    """A row written inside ``transaction.atomic`` never joins the shared statement. If it did,
    on PostgreSQL the transaction below would write the row queued beside it and take it along
    when it rolls back; on SQLite, where the transaction holds the write lock from its BEGIN, it
    would queue behind a writer that waits for that lock until the busy timeout."""
    writer = GroupCommit()
    first = Caller(writer, row("first"))
    in_transaction = Caller(writer, row("rolled-back"), rolled_back=True)
    beside = Caller(writer, row("beside"))
    with writes_held():
        first.start()
        first.inserting.wait(10)
        in_transaction.start()
        in_transaction.executing.wait(10)
        beside.start()
        until(lambda: len(writer._queue) == 1)
    for caller in (first, in_transaction, beside):
        caller.join(30)
    assert in_transaction.inserts == 1 and in_transaction.outcome is not None
    assert (first.error, in_transaction.error, beside.error) == (None, None, None)
    stored = dict(CallbackEvent.objects.values_list("dedupe_key", "pk"))
    assert stored.keys() == {"first", "beside"} and beside.outcome == (stored["beside"], True)


def test_each_row_names_the_install_of_its_suite_in_its_corp_with_no_query_of_its_own():
    """The corp is looked up inside the INSERT, per row: the same corpid under two suites is two
    installs; a corp not installed, or an event without a suite, names none. One statement runs
    for the four rows."""
    provider = Provider.objects.create(corpid="wwp", secret="s")
    suites = [
        Suite.objects.create(provider=provider, suite_id=f"ww{n}", secret="s", token="t",
                             encoding_aes_key="k" * 43)
        for n in (1, 2)
    ]  # fmt: skip
    installs = [AuthorizedCorp.objects.create(suite=s, corpid="wwcorp") for s in suites]
    rows = [row("a", suite_id=suites[0].pk, corpid="wwcorp"),
            row("b", suite_id=suites[1].pk, corpid="wwcorp"),
            row("c", suite_id=suites[0].pk, corpid="wwother"),
            row("d", suite_id=None, corpid="wwcorp")]  # fmt: skip
    statements, record = _statements()
    with connection.execute_wrapper(record):
        outcomes = _write(rows)
    assert len(statements) == 1 and statements[0].startswith("INSERT")
    corps = dict(CallbackEvent.objects.values_list("pk", "corp_id"))
    assert [corps[pk] for pk, _ in outcomes] == [installs[0].pk, installs[1].pk, None, None]


def test_a_row_reads_back_as_written_with_its_xml_encrypted_at_rest():
    """Binding most values as they are loses nothing: every column reads back as written,
    and the XML, which does go through its field, is stored encrypted."""
    written = row("k", xml="<xml><SuiteTicket>secret-ticket</SuiteTicket></xml>",
                  status=CallbackEvent.Status.IGNORED, corpid="wwcorp")  # fmt: skip
    [(pk, created)] = _write([written])
    event = CallbackEvent.objects.get(pk=pk)
    assert created and {name: getattr(event, name) for name in written} == written
    with connection.cursor() as cursor:
        table = CallbackEvent._meta.db_table  # the column as stored, not through the field
        cursor.execute(f"SELECT xml FROM {table} WHERE id = %s", [pk])  # noqa: S608
        [(stored,)] = cursor.fetchall()
    assert "secret-ticket" not in stored


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST is PostgreSQL's")
def test_a_contact_sized_event_row_stays_in_the_table_not_in_toast():
    """A 3 KB row (the envelope and the encrypted XML of a contact event) is neither compressed
    nor moved out of line (callbacks/migrations/0005)."""
    ciphertext = base64.b64encode(os.urandom(1100)).decode()
    _write([row("big", envelope=f"<xml><Encrypt>{ciphertext}</Encrypt></xml>",
                xml=f"<xml><Name>{ciphertext[:1000]}</Name></xml>")])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = %s",
            [CallbackEvent._meta.db_table],
        )
        [(toasted,)] = cursor.fetchall()
    assert toasted == 0


def _counting_health_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The answers of every health check (``is_usable``) of this thread's connection."""
    answers: list[bool] = []
    check = connection.is_usable

    def counted() -> bool:
        answers.append(check())
        return answers[-1]

    monkeypatch.setattr(connection, "is_usable", counted)
    return answers


def _statements() -> tuple[list[str], Callable[..., object]]:
    statements: list[str] = []

    def record(execute, sql, *rest):
        statements.append(sql)
        return execute(sql, *rest)

    return statements, record


def a_request_starts() -> None:
    """What Django does to a kept connection at the start of every request: its health is to be
    checked again before its first query."""
    connection.health_check_done = False  # type: ignore[attr-defined]  # not in Django's stubs


ONLY_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Django checks the health of PostgreSQL connections"
)


@ONLY_POSTGRES
def test_a_write_that_opens_a_request_makes_no_health_check_round_trip(monkeypatch):
    """At a request's first query Django would check a kept connection with ``SELECT 1``; the
    event INSERT goes straight ahead."""
    connection.ensure_connection()
    a_request_starts()
    checks = _counting_health_checks(monkeypatch)
    [(pk, created)] = _write([row("first")])
    assert created and CallbackEvent.objects.filter(pk=pk).exists()
    assert checks == []


@ONLY_POSTGRES
def test_a_write_on_a_connection_that_died_runs_again_on_a_new_one():
    """The database ended the kept connection (a restart, an idle timeout): the INSERT fails,
    and runs once more on a new connection; the row is stored once."""
    connection.ensure_connection()
    dead = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [dead])
    other.close()
    a_request_starts()
    statements, record = _statements()
    with connection.execute_wrapper(record):
        [(_, created)] = _write([row("after-restart")])
    assert created and connection.connection.info.backend_pid != dead
    assert len(statements) == 2 and all(s.startswith("INSERT") for s in statements)
    assert CallbackEvent.objects.filter(dedupe_key="after-restart").count() == 1


@ONLY_POSTGRES
def test_a_failed_write_on_a_live_connection_is_not_run_again(monkeypatch):
    """A lock wait that times out is the database's answer, not a dead connection: it is
    raised (the callback answers 503 and WeCom delivers it again), after one statement."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    a_request_starts()
    checks = _counting_health_checks(monkeypatch)
    statements, record = _statements()
    try:
        with writes_held(), connection.execute_wrapper(record), pytest.raises(OperationalError):
            _write([row("waits")])
    finally:  # the connection outlives the test: back to the configured lock timeout
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert len(statements) == 1 and checks == [True]
    assert not CallbackEvent.objects.filter(dedupe_key="waits").exists()
