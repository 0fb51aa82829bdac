"""Register codes (推广二维码) in the console: issue one from WeCom, show its link and QR code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.admin.common import (
    ConsoleAdmin,
    badge,
    qr_image,
)
from console.scope import scope_of
from console.site import site
from corps.models import Provider, RegisterCode
from corps.services import REGISTER_STATE_PATTERN, register_code_create
from tokens.refusals import refusal_for
from tokens.services import provider_api
from wecom.client import WeComError


class RegisterCodeForm(forms.ModelForm):
    """Creating a register code asks WeCom for one (get_register_code)."""

    state = forms.RegexField(
        REGISTER_STATE_PATTERN,
        required=False,
        label=gettext_lazy("state"),
        error_messages={"invalid": gettext_lazy("Use letters and digits only, at most 128.")},
        help_text=gettext_lazy(
            "Comes back with register_corp, to tell your campaigns apart: letters and digits, "
            "at most 128."
        ),
    )

    class Meta:
        model = RegisterCode
        fields = ["provider", "template_id", "state", "corp_name", "admin_name", "admin_mobile"]
        help_texts = {
            "template_id": gettext_lazy(
                "The id of a registration template (推广包), from WeCom's provider console: "
                "应用管理 → 推广二维码."
            )
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            self.issued = provider_api(cleaned["provider"]).get_register_code(
                template_id=cleaned["template_id"],
                state=cleaned.get("state", ""),
                corp_name=cleaned.get("corp_name", ""),
                admin_name=cleaned.get("admin_name", ""),
                admin_mobile=cleaned.get("admin_mobile", ""),
            )
        except WeComError as error:
            raise ValidationError(
                _("WeCom refused the register code: %(error)s") % {"error": error}
            ) from None
        except Exception as error:  # no provider token: no secret, or it does not decrypt
            refusal = refusal_for(error)
            if refusal is None:
                raise
            raise ValidationError(refusal.detail) from None
        return cleaned


def register_url(code: str) -> str:
    query = urlencode({"register_code": code})
    return f"{settings.WECOM_OPEN_BASE}/3rdservice/wework/register?{query}"


@admin.register(RegisterCode, site=site)
class RegisterCodeAdmin(ConsoleAdmin):
    form = RegisterCodeForm
    list_display = (
        "template_id",
        "state",
        "corp_name",
        "status_badge",
        "registered",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "template_id")
    search_fields = ("state", "corp_name", "registered_corpid")
    list_select_related = ("corp",)
    readonly_fields = ("link", "qr_code", "status", "registered", "expires_at", "registered_at",
                       "contacts_synced_at")  # fmt: skip

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        providers = scope_of(request).narrow(Provider.objects.all())
        if "provider" not in initial and providers.count() == 1:
            initial["provider"] = str(providers.get().pk)  # the only choice, chosen
        return initial

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if add:
            used = (
                scope_of(request)
                .narrow(RegisterCode.objects.all())
                .order_by("template_id")
                .values_list("template_id", flat=True)
                .distinct()[:20]
            )
            if used:
                field = context["adminform"].form.fields["template_id"]
                hint = _("Used before: %(ids)s.") % {"ids": ", ".join(used)}
                field.help_text = f"{field.help_text} {hint}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return tuple(RegisterCodeForm.Meta.fields)
        return (
            "link",
            "qr_code",
            "status",
            "registered",
            "template_id",
            "state",
            "corp_name",
            "admin_name",
            "expires_at",
            "registered_at",
            "contacts_synced_at",  # the contact-sync token itself is never shown
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: RegisterCode, form: Any, change: bool) -> None:
        created = register_code_create(
            provider=form.cleaned_data["provider"],
            template_id=form.cleaned_data["template_id"],
            code=form.issued.value,
            expires_in=form.issued.expires_in,
            state=form.cleaned_data.get("state", ""),
            corp_name=form.cleaned_data.get("corp_name", ""),
            admin_name=form.cleaned_data.get("admin_name", ""),
            admin_mobile=form.cleaned_data.get("admin_mobile", ""),
        )
        obj.pk = created.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("status"))
    def status_badge(self, code: RegisterCode) -> SafeString:
        registered = code.status == RegisterCode.Status.REGISTERED
        return badge(code.get_status_display(), "ok" if registered else "warn")

    @admin.display(description=gettext_lazy("registered corp"))
    def registered(self, code: RegisterCode) -> SafeString | str:
        if code.corp_id:
            url = reverse("admin:corps_authorizedcorp_change", args=[code.corp_id])
            return format_html('<a href="{}">{}</a>', url, code.corp)
        return code.registered_corpid or "—"

    @admin.display(description=gettext_lazy("register link"))
    def link(self, code: RegisterCode) -> SafeString:
        url = register_url(code.code)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=gettext_lazy("QR code"))
    def qr_code(self, code: RegisterCode) -> SafeString:
        return qr_image(register_url(code.code), "register-qr")
