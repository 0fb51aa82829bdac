"""Service accounts and staff memberships in the console (owners; operators see neither)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.admin.common import ConsoleAdmin, ReadOnlyAdmin, badge, confirmed_action
from console.site import site
from oauth.keys import MAX_EXPIRES_DAYS, service_key_issue, service_key_revoke
from oauth.models import CredentialGrant, ServiceKey, StaffMembership
from oauth.roles import USERTYPE_NAMES


class ServiceKeyForm(forms.ModelForm):
    relay_paths_text = forms.CharField(
        label=gettext_lazy("relayed paths"),
        required=False,
        help_text=gettext_lazy(
            "Comma-separated qyapi paths it may call through the WeCom relay, * as a wildcard "
            "(user/*, message/send); empty: no relaying."
        ),
    )
    expires_days = forms.IntegerField(
        label=gettext_lazy("expires in (days)"),
        min_value=1,
        max_value=MAX_EXPIRES_DAYS,
        required=False,
        help_text=gettext_lazy("Empty: the key does not expire."),
    )

    class Meta:
        model = ServiceKey
        fields = ["name", "provider", "role", "suites"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        provider, suites = self.cleaned_data.get("provider"), self.cleaned_data.get("suites")
        if provider is not None and suites and any(s.provider_id != provider.pk for s in suites):
            self.add_error("suites", _("Choose suites of the chosen provider only."))
        paths = self.cleaned_data.get("relay_paths_text", "")
        self.instance.relay_paths = [p.strip() for p in paths.split(",") if p.strip()]
        return self.cleaned_data


@admin.register(ServiceKey, site=site)
class ServiceKeyAdmin(ConsoleAdmin):
    """A new key is shown once, on the page that follows its creation; then only its last
    four characters, to tell keys apart."""

    form = ServiceKeyForm
    list_display = ("name", "provider", "role", "state", "hint", "expires_at", "last_used_at")
    list_filter = ("role", "provider")
    search_fields = ("name",)
    actions = (
        confirmed_action(
            "revoke",
            gettext_lazy("Revoke"),
            lambda key: service_key_revoke(name=key.name),
            dangerous=True,
        ),
    )

    @admin.display(description=gettext_lazy("status"))
    def state(self, key: ServiceKey) -> Any:
        if key.revoked_at is not None:
            return badge(_("revoked"), "bad")
        if not key.is_usable(timezone.now()):
            return badge(_("expired"), "off")
        return badge(_("active"), "ok")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "provider", "role", "suites", "relay_paths_text", "expires_days")
        return ("name", "provider", "role", "suites", "relay_paths", "hint", "created_at",
                "expires_at", "revoked_at", "last_used_at")  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key is revoked and replaced, never edited

    def save_model(self, request: HttpRequest, obj: ServiceKey, form: Any, change: bool) -> None:
        request._issued_key = service_key_issue(  # type: ignore[attr-defined]  # for response_add
            obj, expires_days=form.cleaned_data.get("expires_days")
        )
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: ServiceKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Service account %(name)s") % {"name": obj.name},
            "key": request._issued_key,  # type: ignore[attr-defined]  # set by save_model
            "account": obj,
            "opts": self.opts,
        }
        return TemplateResponse(request, "console/service_key_created.html", context)


@admin.register(StaffMembership, site=site)
class StaffMembershipAdmin(ReadOnlyAdmin):
    """Who signed in with the provider QR login, and the role WeCom's admin level gave them."""

    list_display = ("user", "provider", "role", "userid", "admin_level", "signed_in_at")
    list_filter = ("role", "provider")
    list_select_related = ("user", "provider")
    search_fields = ("userid", "user__username")

    @admin.display(description=gettext_lazy("WeCom admin level"), ordering="usertype")
    def admin_level(self, membership: StaffMembership) -> str:
        return str(USERTYPE_NAMES.get(membership.usertype, membership.usertype))


@admin.register(CredentialGrant, site=site)
class CredentialGrantAdmin(ReadOnlyAdmin):
    """Which service account was handed which credential (or reported one rejected), when."""

    list_display = ("at", "key", "action", "kind", "corp", "suite")
    list_filter = ("action", "kind", "key")
    list_select_related = ("key", "corp", "suite")
    search_fields = ("=corp__corpid", "corp__corp_name", "key__name")
    date_hierarchy = "at"
    ordering = ("-at",)
    show_full_result_count = False
