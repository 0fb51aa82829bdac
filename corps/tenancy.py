"""Querysets that fail closed: a tenant-owned model read through ``.tenant`` must be scoped to
one corp first, or evaluating it raises instead of returning every tenant's rows."""

from __future__ import annotations

from typing import Any

from django.db import models


class TenantScopeMissing(RuntimeError):
    """A tenant-owned queryset was evaluated without ``for_corp``."""


class TenantQuerySet(models.QuerySet):
    _tenant_scoped = False

    def for_corp(self, corp: Any) -> TenantQuerySet:
        scoped = self.filter(corp=corp)
        scoped._tenant_scoped = True
        return scoped

    def _clone(self) -> TenantQuerySet:
        clone = super()._clone()  # type: ignore[misc]  # private QuerySet API, not in django-stubs
        clone._tenant_scoped = self._tenant_scoped
        return clone

    def _require_scope(self) -> None:
        if not self._tenant_scoped:
            raise TenantScopeMissing(f"{self.model.__name__}.tenant needs .for_corp(corp)")

    def _fetch_all(self) -> None:
        self._require_scope()
        super()._fetch_all()

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def aggregate(self, *args: Any, **kwargs: Any) -> Any:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> Any:
        self._require_scope()
        return super().delete()


TenantManager = models.Manager.from_queryset(TenantQuerySet)
