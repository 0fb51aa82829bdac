from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services import trial_prolong
from callbacks.models import CallbackEvent
from console.admin.billing import AppOrderInline
from console.admin.common import (
    ConsoleAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SecretsAdmin,
    WriteOnlySecrets,
    badge,
    confirmed_action,
    expiry_badge,
)
from console.admin.customized import customized_auth_link
from console.admin.licenses import LicenseInline, LicensePolicyInline, activate_license, buy_view
from console.site import site
from corps.models import AuthorizedCorp, Department, Member, Provider, Suite
from licenses.services import corp_license_sync
from tokens.authorization import (
    corp_auth_refresh,
    corp_contacts_sync,
    corp_credentials_refresh,
    corp_revoke,
)
from tokens.ids import corp_ids_upgrade
from tokens.models import Credential
from wecom.crypto import CallbackCryptoError, validate_encoding_aes_key


def _aes_key_or_error(value: str) -> str:
    if value:
        try:
            validate_encoding_aes_key(value)
        except CallbackCryptoError:
            raise ValidationError(
                gettext_lazy("The EncodingAESKey must be 43 characters of letters and digits.")
            ) from None
    return value


class ProviderForm(WriteOnlySecrets):
    secret_fields = ("secret", "token", "encoding_aes_key")

    class Meta:
        model = Provider
        fields = ["corpid", "name", "secret", "token", "encoding_aes_key"]

    def clean_encoding_aes_key(self) -> str:
        return _aes_key_or_error(self.cleaned_data.get("encoding_aes_key", ""))


@admin.register(Provider, site=site)
class ProviderAdmin(SecretsAdmin):
    form = ProviderForm
    list_display = ("corpid", "name", "created_at")
    search_fields = ("corpid", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Provider]:
        return super().get_queryset(request).defer("secret", "token", "encoding_aes_key")


class SuiteForm(WriteOnlySecrets):
    secret_fields = ("secret", "token", "encoding_aes_key")

    class Meta:
        model = Suite
        fields = [
            "provider",
            "suite_id",
            "name",
            "kind",
            "install_mode",
            "secret",
            "token",
            "encoding_aes_key",
        ]

    def clean_encoding_aes_key(self) -> str:
        return _aes_key_or_error(self.cleaned_data.get("encoding_aes_key", ""))


def _token_expiry(field: str) -> Subquery:
    kind = {"suite": Credential.Kind.SUITE}.get(field, Credential.Kind.CORP)
    return Subquery(
        Credential.objects.filter(**{field: OuterRef("pk")}, kind=kind).values("expires_at")[:1]
    )


@admin.register(Suite, site=site)
class SuiteAdmin(SecretsAdmin):
    form = SuiteForm
    list_display = (
        "suite_id",
        "name",
        "kind",
        "provider",
        "install_mode",
        "ticket",
        "suite_token",
        "active_corps",
        "cancelled_corps",
    )
    list_filter = ("kind", "install_mode", "provider")
    search_fields = ("suite_id", "name")
    readonly_fields = ("suite_ticket_at", "ticket")
    inlines = (LicensePolicyInline,)
    actions = (customized_auth_link,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suite]:
        return (
            super()
            .get_queryset(request)
            .select_related("provider")
            .defer(
                "secret",
                "token",
                "encoding_aes_key",
                "suite_ticket",
                "provider__secret",
                "provider__token",
                "provider__encoding_aes_key",
            )
            .annotate(
                active=Count("corps", filter=Q(corps__status=AuthorizedCorp.Status.ACTIVE)),
                cancelled=Count("corps", filter=Q(corps__status=AuthorizedCorp.Status.CANCELLED)),
                token_expires=_token_expiry("suite"),
            )
        )

    @admin.display(description=gettext_lazy("suite_ticket"))
    def ticket(self, suite: Suite) -> SafeString:
        age = suite.ticket_age()
        if age is None:
            return badge(_("none yet"), "bad")
        text = _("%(minutes)d min old") % {"minutes": age // 60}
        return badge(text, "ok" if age < 1200 else "warn" if suite.ticket_is_fresh() else "bad")

    # Not "token": a list column resolves to the model field of that name first (the secret).
    @admin.display(description=gettext_lazy("suite token"))
    def suite_token(self, suite: Any) -> SafeString:
        return expiry_badge(suite.token_expires)

    @admin.display(description=gettext_lazy("active corps"), ordering="active")
    def active_corps(self, suite: Any) -> int:
        return int(suite.active)

    @admin.display(description=gettext_lazy("cancelled corps"), ordering="cancelled")
    def cancelled_corps(self, suite: Any) -> int:
        return int(suite.cancelled)


class CredentialInline(ReadOnlyInline):
    model = Credential
    fk_name = "corp"
    fields = ("kind", "expires_at", "refresh_at", "fetched_at", "failures", "last_error")
    verbose_name_plural = gettext_lazy("credentials (expiry only; values are never shown)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Credential]:
        return super().get_queryset(request).defer("value")


class RecentEventInline(ReadOnlyInline):
    model = CallbackEvent
    fk_name = "corp"
    fields = ("link", "kind", "change_type", "status", "attempts", "received_at")
    ordering = ("-received_at",)
    verbose_name_plural = gettext_lazy("event history (latest 20)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackEvent]:
        latest = CallbackEvent.objects.filter(corp=OuterRef("corp")).order_by("-received_at")
        ids = Subquery(latest.values("pk")[:20])
        return super().get_queryset(request).defer("xml", "envelope").filter(pk__in=ids)

    @admin.display(description="#")
    def link(self, event: CallbackEvent) -> SafeString:
        url = reverse("admin:callbacks_callbackevent_change", args=[event.pk])
        return format_html('<a href="{}">{}</a>', url, event.pk)


MEMBER_COUNT = Coalesce(
    Subquery(
        Member.objects.filter(corp=OuterRef("pk"))
        .order_by()
        .values("corp")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    ),
    0,
)


@admin.register(AuthorizedCorp, site=site)
class AuthorizedCorpAdmin(ConsoleAdmin):
    change_form_template = "console/corp_change_form.html"
    list_display = (
        "corp_name",
        "corpid",
        "suite",
        "status_badge",
        "edition_name",
        "installed_at",
        "corp_token",
        "members_total",
    )
    list_filter = ("suite", "status", "edition_name", ("installed_at", admin.DateFieldListFilter))
    search_fields = ("corp_name", "=corpid")
    list_select_related = ("suite",)
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-installed_at",)
    inlines = (LicenseInline, AppOrderInline, CredentialInline, RecentEventInline)
    fieldsets = (
        (None, {"fields": ("corp_name", "corpid", "suite", "status", "contacts")}),
        (
            gettext_lazy("Corp"),
            {
                "fields": (
                    "corp_full_name",
                    "corp_type",
                    "subject_type",
                    "corp_user_max",
                    "verified_end_time",
                    "corp_scale",
                    "corp_industry",
                    "corp_sub_industry",
                )
            },
        ),
        (
            gettext_lazy("Authorization"),
            {
                "fields": (
                    "agentid",
                    "publish_status",
                    "app_closed",
                    "auth_mode",
                    "auth_scope",
                    "auth_info",
                    "admin_userid",
                    "install_state",
                )
            },
        ),
        (
            gettext_lazy("Edition"),
            {
                "fields": (
                    "edition_id",
                    "edition_name",
                    "app_status",
                    "user_limit",
                    "edition_expires_at",
                )
            },
        ),
        (
            gettext_lazy("Install history"),
            {"fields": ("installed_at", "cancelled_at", "reactivated_at", "updated_at")},
        ),
    )
    actions = (
        confirmed_action(
            "refresh_auth_info",
            gettext_lazy("Refresh auth info"),
            lambda corp: corp_auth_refresh(corp=corp),
        ),
        confirmed_action(
            "refresh_tokens",
            gettext_lazy("Refresh tokens now"),
            lambda corp: corp_credentials_refresh(corp=corp),
        ),
        confirmed_action(
            "resync_contacts",
            gettext_lazy("Resync contacts"),
            lambda corp: corp_contacts_sync(corp=corp),
        ),
        confirmed_action(
            "prolong_trial",
            gettext_lazy("Extend the trial by 15 days"),
            lambda corp: trial_prolong(corp, 15),
        ),
        confirmed_action(
            "sync_license",
            gettext_lazy("Sync licences from WeCom"),
            lambda corp: corp_license_sync(corp),
        ),
        confirmed_action(
            "upgrade_ids",
            gettext_lazy("Finish the ID upgrade (irreversible in WeCom)"),
            lambda corp: corp_ids_upgrade(corp),
            dangerous=True,
        ),
        confirmed_action(
            "revoke",
            gettext_lazy("Revoke (as cancel_auth)"),
            lambda corp: corp_revoke(corp=corp),
            dangerous=True,
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthorizedCorp]:
        return (
            super()
            .get_queryset(request)
            .defer("permanent_code")
            .annotate(token_expires=_token_expiry("corp"), members_count=MEMBER_COUNT)
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.fieldsets)

    def get_urls(self) -> list[Any]:
        buy = self.admin_site.admin_view(
            lambda request, object_id: buy_view(self, request, object_id)
        )
        own = [path("<path:object_id>/buy-licences/", buy, name="corps_authorizedcorp_buy")]
        return own + super().get_urls()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tenants come from installs

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a mirror of WeCom: changed by its actions, never by hand

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead; the history stays

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The corp's actions as buttons on its page too (they post to the list's actions)."""
        actions = self.get_action_choices(request, default_choices=[])
        context = {**(extra_context or {}), "corp_actions": actions}
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, corp: AuthorizedCorp) -> SafeString:
        return badge(corp.get_status_display(), "ok" if corp.is_active else "off")

    @admin.display(description=gettext_lazy("corp token"), ordering="token_expires")
    def corp_token(self, corp: Any) -> SafeString:
        return expiry_badge(corp.token_expires)

    @admin.display(description=gettext_lazy("members"), ordering="members_count")
    def members_total(self, corp: Any) -> int:
        return int(corp.members_count)

    @admin.display(description=gettext_lazy("contacts and events"))
    def contacts(self, corp: AuthorizedCorp) -> SafeString:
        query = urlencode({"corp__id__exact": corp.pk})
        return format_html(
            '<a href="{}?{}">{}</a> · <a href="{}?{}">{}</a> · <a href="{}?{}">{}</a>',
            reverse("admin:corps_member_changelist"),
            query,
            _("members"),
            reverse("admin:corps_department_changelist"),
            query,
            _("departments"),
            reverse("admin:callbacks_callbackevent_changelist"),
            query,
            _("all events"),
        )


@admin.register(Member, site=site)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("name", "userid", "open_userid", "corp", "position", "is_admin", "updated_at")
    list_filter = ("is_admin",)
    search_fields = ("name", "=userid", "=open_userid")
    list_select_related = ("corp",)
    show_full_result_count = False
    raw_id_fields = ("corp", "user")
    actions = (activate_license,)


@admin.register(Department, site=site)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "department_id", "parent_id", "corp", "updated_at")
    search_fields = ("name",)
    list_select_related = ("corp",)
    show_full_result_count = False
