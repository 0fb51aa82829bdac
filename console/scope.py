"""Which provider's data a staff member or service account sees: one scoped queryset per model,
used by every console page and staff API view.

A superuser (the deployment's operator, made with createsuperuser) sees every provider. A
provider's staff member sees that provider's suites and tenants; a service account sees its
provider's, narrowed to the suites it names. Anyone else sees nothing, and so does a model this
table does not know: the scope fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import Group, User
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from billing.models import AppOrder
from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Department, Member, Provider, RegisterCode, Suite
from licenses.models import (
    ActiveCode,
    CorpLicense,
    LicenseOrder,
    LicensePolicy,
    UnlicensedAttempt,
)
from oauth.models import (
    ApiToken,
    AuditRecord,
    CredentialGrant,
    Role,
    ServiceKey,
    StaffMembership,
)
from tokens.models import AuthCodeExchange, Credential
from webhooks.models import Attempt, Delivery, Endpoint, Message

M = TypeVar("M", bound=Model)

# model → the ways from a row to its provider and to its suite (None: the row has no suite).
PATHS: dict[type[Model], tuple[tuple[str, str | None], ...]] = {
    Provider: (("pk", None),),
    Suite: (("provider", "pk"),),
    AuthorizedCorp: (("suite__provider", "suite"),),
    Member: (("corp__suite__provider", "corp__suite"),),
    Department: (("corp__suite__provider", "corp__suite"),),
    RegisterCode: (("provider", None),),
    CallbackEvent: (("provider", None), ("suite__provider", "suite")),
    Credential: (
        ("provider", None),
        ("suite__provider", "suite"),
        ("corp__suite__provider", "corp__suite"),
    ),
    ApiToken: (("member__corp__suite__provider", "member__corp__suite"),),
    AuditRecord: (("corp__suite__provider", "corp__suite"),),
    AuthCodeExchange: (("suite__provider", "suite"),),
    StaffMembership: (("provider", None),),
    ServiceKey: (("provider", None),),
    CredentialGrant: (("suite__provider", "suite"),),
    User: (("staff_membership__provider", None),),
    LicenseOrder: (("provider", None),),
    ActiveCode: (("provider", None),),
    CorpLicense: (("corp__suite__provider", "corp__suite"),),
    UnlicensedAttempt: (("corp__suite__provider", "corp__suite"),),
    LicensePolicy: (("suite__provider", "suite"),),
    AppOrder: (("suite__provider", "suite"),),
    Endpoint: (("provider", None),),
    Message: (("provider", None),),
    Delivery: (("endpoint__provider", None),),
    Attempt: (("delivery__endpoint__provider", None),),
}
SHARED: frozenset[type[Model]] = frozenset({Group})  # the role groups, the same for everyone


@dataclass(frozen=True)
class Scope:
    providers: frozenset[int] | None  # None: every provider
    suites: frozenset[int] | None = None  # None: every suite of those providers
    role: Role | None = Role.OWNER  # None: no role at all (sees nothing)

    @property
    def everything(self) -> bool:
        return self.providers is None and self.suites is None

    def narrow(self, queryset: QuerySet[M]) -> QuerySet[M]:
        if self.everything or queryset.model in SHARED:
            return queryset
        paths = PATHS.get(queryset.model)
        if paths is None or self.role is None:
            return queryset.none()
        allowed = Q(pk__in=[])
        for provider_path, suite_path in paths:
            if self.suites is not None and suite_path is None:
                continue  # narrowed to suites: rows that belong to no suite are out
            condition = Q()
            if self.providers is not None:
                condition &= Q(**{f"{provider_path}__in": self.providers})
            if self.suites is not None:
                condition &= Q(**{f"{suite_path}__in": self.suites})
            allowed |= condition
        return queryset.filter(allowed)


NOTHING = Scope(providers=frozenset(), role=None)
EVERYTHING = Scope(providers=None)


def scope_of_user(user: Any) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    membership = StaffMembership.objects.filter(user=user).only("provider_id", "role").first()
    if membership is None or not user.is_staff:
        return NOTHING
    return Scope(providers=frozenset({membership.provider_id}), role=Role(membership.role))


def scope_of_key(key: ServiceKey) -> Scope:
    suites = frozenset(key.suites.values_list("pk", flat=True))
    return Scope(providers=frozenset({key.provider_id}), suites=suites or None, role=Role(key.role))


def scope_of(request: HttpRequest) -> Scope:
    """The request's scope, worked out once per request."""
    cached: Scope | None = getattr(request, "_staff_scope", None)
    if cached is None:
        key = getattr(request, "auth", None)
        cached = scope_of_key(key) if isinstance(key, ServiceKey) else scope_of_user(request.user)
        request._staff_scope = cached  # type: ignore[attr-defined]  # a per-request memo
    return cached
