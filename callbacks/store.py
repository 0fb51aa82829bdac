"""Writes new event rows, several callbacks of a process in one INSERT when they arrive together.

A callback is acknowledged only once its row is committed, and each commit is a round trip and
a WAL write: on SQLite a commit writes whole pages, one per index the row touches. So a request
thread that arrives while another is writing queues its row; when that write ends, the first
queued thread writes everything queued meanwhile in one statement, on its own connection, and
hands every thread its outcome. Nobody waits longer than one write ahead of theirs, and a row
is still committed before its callback is answered: a request returns only after the statement
that holds its row has committed, and if that statement fails, every request in it fails.

Only in autocommit: a caller inside ``transaction.atomic`` writes its row itself, in its own
transaction.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    models,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import NOT_PROVIDED

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp

Row = Mapping[str, object]  # column values by attname
MAX_ROWS = 64  # per statement
# Fields whose Python value (a str, an int or None, as event rows carry) is already what the
# database takes: binding them through Django would only copy them. Exact classes: a subclass
# (an encrypted text field, say) converts.
_AS_IS = (models.CharField, models.TextField, models.ForeignKey)
# And by database: PostgreSQL's driver binds an aware datetime (an event's received_at is
# timezone.now()) as it is, where Django's conversion would only return it unchanged.
_AS_IS_BY_VENDOR: dict[str, tuple[type[models.Field], ...]] = {
    "postgresql": (models.DateTimeField,)
}


def _converter(field: models.Field, vendor: str) -> models.Field | None:
    return None if type(field) in _AS_IS + _AS_IS_BY_VENDOR.get(vendor, ()) else field


@functools.cache
def _insert_statement(
    vendor: str, names: tuple[str, ...], rows: int
) -> tuple[str, tuple[models.Field | None, ...]]:
    """The INSERT of ``rows`` new event rows with these columns (attnames), and for each column
    in order the field that converts its value, or None where the value is bound as it is.
    ``vendor`` keys the cache: the quoting is the connection's. Every column left out must have a
    database default or allow NULL. A row whose dedupe key is taken is skipped, not an error;
    ``_written`` tells the rows written.

    The row's corp is not a column the caller gives: the statement looks it up by the row's
    suite and corpid (two more values after each row's, see ``_corp_lookup``). As a query of its
    own before the INSERT it cost as much CPU as the INSERT, on every event of a corp."""
    meta = CallbackEvent._meta
    by_attname = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
    if "corp_id" in names:
        raise ValueError("an event row's corp is looked up from its suite_id and corpid")
    left_out = [
        name
        for name, f in by_attname.items()
        if not (name in names or name == "corp_id" or f.null or f.db_default is not NOT_PROVIDED)
    ]
    if left_out:
        raise ValueError(f"an event row needs {', '.join(left_out)}")
    fields = tuple(by_attname[name] for name in names)
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(f.column) for f in (*fields, by_attname["corp_id"]))
    row = "(" + ", ".join(["%s"] * len(fields) + [_corp_lookup(quote)]) + ")"
    values = ", ".join([row] * rows)
    # Names from the model's own metadata, quoted; every value is bound.
    table, pk, key = (quote(name) for name in (meta.db_table, meta.pk.column, "dedupe_key"))
    statement = (
        f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({key}) DO NOTHING"
    )
    if _returns_rows(vendor):
        statement += f" RETURNING {pk}, {key}"
    return statement, tuple(_converter(f, vendor) for f in fields)


def _corp_lookup(quote: Callable[[str], str]) -> str:
    """The pk of the install of the suite (first value) in the corp (second), or NULL: none
    for an event without a suite or a corpid, as for a corp that is not installed."""
    meta = AuthorizedCorp._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    table, pk, suite, corpid = (
        quote(name) for name in (meta.db_table, meta.pk.column, column["suite"], column["corpid"])
    )
    return f"(SELECT {pk} FROM {table} WHERE {suite} = %s AND {corpid} = %s)"  # noqa: S608


def _write(rows: Sequence[Row]) -> list[tuple[int, bool]]:
    """INSERT the rows in one statement on this thread's connection; each row's (pk, created).
    A row whose dedupe key was stored before (or earlier in the same batch) gets that row's pk.

    A statement built once per process, and no model instance: on the callback path Django's
    compiler and model machinery, and binding the columns that always start the same (attempts,
    errors, claim), cost more CPU than the database spent on the row (bench/callbacks.py). Only
    the values that need it go through their field (the encrypted XML; the time, except on
    PostgreSQL), and the thread's connection is looked up once, not through the ``connection``
    proxy at every use.
    No signal is sent for CallbackEvent saves. On PostgreSQL the parameters are bound on the
    server and the statement is prepared per connection.
    """
    db: BaseDatabaseWrapper = connections[DEFAULT_DB_ALIAS]
    statement, converters = _insert_statement(db.vendor, tuple(rows[0]), len(rows))
    params: list[Any] = []  # values of a Row, which the database takes as they are
    for row in rows:
        params.extend(
            value if f is None else f.get_db_prep_save(value, db)
            for f, value in zip(converters, row.values(), strict=True)
        )
        params += (row.get("suite_id"), row["corpid"])  # for the corp's lookup
    keys = [str(row["dedupe_key"]) for row in rows]
    unchecked = _skip_health_check(db)
    try:
        created = _execute(db, statement, params, keys)
    except (OperationalError, InterfaceError):
        if not unchecked or db.is_usable():
            raise
        db.close()  # the connection had died: the next cursor opens a new one
        created = _execute(db, statement, params, keys)
    earlier = {}
    if len(created) < len(rows):
        earlier = dict(
            CallbackEvent.objects.filter(dedupe_key__in=set(keys) - created.keys()).values_list(
                "dedupe_key", "pk"
            )
        )
    outcomes = []
    for key in keys:
        if key in created:
            pk = created.pop(key)
            earlier[key] = pk  # for a second row with this key in the batch
            outcomes.append((pk, True))
        elif key in earlier:
            outcomes.append((earlier[key], False))
        else:  # taken when the statement ran, and deleted since
            raise IntegrityError(f"event {key} conflicted with a row that is gone")
    return outcomes


def _returns_rows(vendor: str) -> bool:
    """Whether the INSERT names the rows it wrote (RETURNING). Not on SQLite: there a statement
    with RETURNING commits only once its rows have all been read, and Python reads them after the
    request thread has taken the GIL back from the worker's other threads, so SQLite's one write
    lock, which every web process waits on, was held while the thread waited for the GIL. Without
    it the INSERT commits inside the one call that runs it (bench/callbacks.py on SQLite, three
    alternating pairs: 1,225-1,572 callbacks/s with RETURNING, 1,767-1,953 without; voluntary
    context switches per callback 7.6-9.0 against 5.4-6.1)."""
    return vendor != "sqlite"


def _execute(
    db: BaseDatabaseWrapper, statement: str, params: list[Any], keys: list[str]
) -> dict[str, int]:
    """Run the INSERT of the rows with these dedupe keys; the pk of each row written, by key."""
    with db.cursor() as cursor:
        cursor.execute(statement, params)
        if _returns_rows(db.vendor):
            return {key: int(pk) for pk, key in cursor.fetchall()}
        return _written(cursor, keys)


def _written(cursor: Any, keys: list[str]) -> dict[str, int]:
    """SQLite: the rows the INSERT just wrote, by dedupe key, from its row count and the rowid
    of its last row. An event's pk is AUTOINCREMENT: SQLite gives each new row the rowid after
    the largest there has ever been, and inserts VALUES in their order, so a statement that wrote
    every row wrote them at consecutive rowids in the order of ``keys``. When some keys were
    taken, the rows it wrote are the newest of those keys up to its last rowid."""
    count, last = cursor.rowcount, cursor.lastrowid
    if count == len(keys):
        return dict(zip(keys, range(last - count + 1, last + 1), strict=True))
    if count <= 0:
        return {}
    newest = CallbackEvent.objects.filter(dedupe_key__in=set(keys), pk__lte=last).order_by("-pk")
    return dict(newest.values_list("dedupe_key", "pk")[:count])


def _skip_health_check(db: Any) -> bool:  # Django's health-check flags are not in its stubs
    """Whether the INSERT is the request's first use of a persistent connection, whose health
    Django would check first (CONN_HEALTH_CHECKS: a ``SELECT 1`` round trip, as much as a fifth
    of a callback's database time). The check is skipped; if the connection turns out dead, the
    INSERT is run again once on a new one. Running it again is safe: a row it wrote before the
    connection died is found by its dedupe key, and its event is left to the requeue sweeper."""
    if db.connection is None or not db.health_check_enabled or db.health_check_done:
        return False
    db.health_check_done = True
    return True


class _Waiting:
    """A row and what its thread learns about it. A thread that has to wait sleeps on a lock
    of its own, taken when it queues and released by the thread that wakes it: one C call each
    way, where a ``threading.Event`` (a Condition and its lock, built per callback) cost about a
    tenth of the row's INSERT. The thread that writes straight away gets no lock at all."""

    __slots__ = ("error", "gate", "outcome", "row", "writes")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.gate: threading.Lock | None = None
        self.outcome: tuple[int, bool] | None = None
        self.error: BaseException | None = None
        self.writes = False  # woken to write the queue, not with an outcome

    def close_gate(self) -> None:
        self.gate = threading.Lock()
        self.gate.acquire()

    def sleep(self) -> None:
        """Until ``wake``, unless it came first."""
        if self.gate is not None:
            self.gate.acquire()

    def wake(self) -> None:
        """Each thread is woken at most once per sleep: once to write, or once with its outcome
        (a thread woken to write wakes itself with its outcome after it has slept)."""
        if self.gate is not None:
            self.gate.release()


class GroupCommit:
    """One writer at a time per process; the rows that queue behind it go in the next
    statement, written by the first of their threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._writing = False

    def insert(self, row: Row) -> tuple[int, bool]:
        """Store the row and return (pk, created) once it is committed."""
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return _write([row])[0]
        me = _Waiting(row)
        with self._lock:
            self._queue.append(me)
            me.writes = not self._writing
            self._writing = True
            if not me.writes:
                me.close_gate()
        me.sleep()
        if me.writes:
            self._write_queue()
        if me.error is not None:
            raise me.error
        assert me.outcome is not None
        return me.outcome

    def _write_queue(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[:MAX_ROWS], self._queue[MAX_ROWS:]
        try:
            for waiting, outcome in zip(batch, _write([w.row for w in batch]), strict=True):
                waiting.outcome = outcome
        except BaseException as error:
            for waiting in batch:
                waiting.error = error
        finally:
            with self._lock:
                if self._queue:  # the next writer: the first thread that queued meanwhile
                    self._queue[0].writes = True
                    self._queue[0].wake()
                else:
                    self._writing = False
            for waiting in batch:
                waiting.writes = False
                waiting.wake()


group_commit = GroupCommit()
