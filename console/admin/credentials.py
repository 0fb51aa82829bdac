from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from console.admin.common import ReadOnlyAdmin, confirmed_action, expiry_badge
from console.site import site
from oauth.models import ApiToken, AuditRecord
from oauth.roles import USERTYPE_NAMES as USERTYPES
from tokens.models import Credential
from tokens.services import credential_refresh_by_key

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class FailingFilter(admin.SimpleListFilter):
    title = gettext_lazy("refresh")
    parameter_name = "failing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", gettext_lazy("failing"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Credential]
    ) -> QuerySet[Credential]:
        return queryset.filter(failures__gt=0) if self.value() == "yes" else queryset


@admin.register(Credential, site=site)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "owner", "expiry", "refresh_at", "failures", "last_error")
    list_filter = ("kind", FailingFilter)
    search_fields = ("=key", "corp__corpid", "suite__suite_id")
    list_select_related = ("corp", "suite", "provider")
    fields = (
        "key",
        "kind",
        "owner",
        "expires_at",
        "refresh_at",
        "fetched_at",
        "failures",
        "last_error",
    )
    readonly_fields = fields
    actions = (
        confirmed_action(
            "refresh_now",
            gettext_lazy("Refresh now"),
            lambda c: credential_refresh_by_key(c.key, force=True),
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Credential]:
        return (
            super()
            .get_queryset(request)
            .defer(
                "value",
                "corp__permanent_code",
                "suite__secret",
                "suite__token",
                "suite__encoding_aes_key",
                "suite__suite_ticket",
                "provider__secret",
                "provider__token",
                "provider__encoding_aes_key",
            )
        )

    @admin.display(description=gettext_lazy("owner"))
    def owner(self, credential: Credential) -> str:
        return str(credential.corp or credential.suite or credential.provider)

    @admin.display(description=gettext_lazy("expires"), ordering="expires_at")
    def expiry(self, credential: Credential) -> Any:
        return expiry_badge(credential.expires_at)


@admin.register(ApiToken, site=site)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("member", "created_at", "expires_at", "last_used_at")
    list_select_related = ("member__corp",)
    search_fields = ("=member__open_userid", "member__name")
    fields = ("member", "created_at", "expires_at", "last_used_at")
    readonly_fields = fields
    actions = (
        confirmed_action("revoke", gettext_lazy("Revoke"), lambda t: t.delete(), dangerous=True),
    )


@admin.register(AuditRecord, site=site)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "user", "corp", "who", "ip")
    list_filter = ("kind",)
    list_select_related = ("user", "corp")
    fields = ("created_at", "kind", "user", "corp", "who", "ip", "detail")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("who"))
    def who(self, record: AuditRecord) -> str:
        """A refused sign-in has no user or corp of ours: who it was is in its detail."""
        detail = record.detail if isinstance(record.detail, dict) else {}
        parts = [str(detail[k]) for k in ("corpid", "userid") if detail.get(k)]
        usertype = detail.get("usertype")
        if usertype in USERTYPES:
            parts.append(str(USERTYPES[usertype]))
        return " · ".join(parts) or "-"
