"""A hot lookup by a few values, compiled to SQL once per process.

Django compiles a queryset afresh every time it is evaluated. For the bearer authentication's
five-table join that compilation cost more CPU than PostgreSQL spent planning and running the
query (bench/api.py), on every API request. A ``CompiledLookup`` compiles its queryset once per
database alias with a placeholder for each value, then on each lookup binds the values, runs
the SQL and builds the first row's instance, related ones included, as the queryset's own
iterator would.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.query import (  # type: ignore[attr-defined]  # not in the stubs
    QuerySet,
    get_related_populators,
)

M = TypeVar("M", bound=models.Model)


def _placeholder(position: int) -> str:
    """Stands for a looked-up value while the queryset is compiled; found again in the params."""
    return f"\x00compiled-lookup-placeholder-{position}\x00"


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where each looked-up value goes in params
    # The SQLCompiler, for its converters. It holds the connection of the thread that compiled
    # it; converters only read the backend's settings from it, the same in every thread.
    compiler: Any
    converters: dict[int, Any]
    model: type[models.Model]
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]


class CompiledLookup(Generic[M]):
    """``build(*values)`` returns the queryset for these values (strings, each used once in its
    filters; the time is the database's, ``Now()``, as an argument would be compiled in).
    ``get(*values)`` is its first row, or None."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._arity = len(inspect.signature(build).parameters)
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, using: str) -> _Plan:
        plan = self._plans.get(using)
        if plan is not None:
            return plan
        with self._lock:
            if using not in self._plans:
                self._plans[using] = self._compile(using)
            return self._plans[using]

    def _compile(self, using: str) -> _Plan:
        placeholders = [_placeholder(position) for position in range(self._arity)]
        compiler = self._build(*placeholders).query.get_compiler(using=using)
        sql, compiled_params = compiler.as_sql()
        params = tuple(compiled_params)
        if any(params.count(placeholder) != 1 for placeholder in placeholders):
            raise ValueError("the queryset must use each looked-up value exactly once")
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Plan(
            sql=sql,
            params=params,
            slots=tuple(params.index(placeholder) for placeholder in placeholders),
            compiler=compiler,
            converters=compiler.get_converters(fields),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            populators=get_related_populators(klass_info, compiler.select, using),
        )

    def get(self, *values: str, using: str = "default") -> M | None:
        plan = self._plan(using)
        params = list(plan.params)
        for slot, value in zip(plan.slots, values, strict=True):
            params[slot] = value
        with connections[using].cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(plan.compiler.apply_converters([row], plan.converters))
        obj = plan.model.from_db(using, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, obj)
        return obj  # type: ignore[return-value]
