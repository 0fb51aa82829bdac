"""Pieces every console page shares: badges, write-only secrets, confirm-then-report actions."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters

from console.scope import scope_of
from oauth.models import Role
from tokens.refusals import refusal_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)
COLOURS = {"ok": "#1e7e34", "warn": "#b36b00", "bad": "#c82333", "off": "#6c757d"}


def badge(text: str, tone: str) -> SafeString:
    return format_html(
        '<span class="badge" style="color:#fff;background:{};padding:2px 8px;'
        'border-radius:10px;font-size:11px;white-space:nowrap">{}</span>',
        COLOURS[tone],
        text,
    )


def refusal_detail(error: Exception) -> str:
    """What to tell the staff member about a failed action: the refusal's sentence (ours or
    WeCom's). Anything that is not a refusal is a bug and is raised again."""
    refusal = refusal_for(error)
    if refusal is None:
        raise error
    return refusal.detail


def qr_image(url: str, element_id: str) -> SafeString:
    """A QR code of ``url`` as an <img>: a data: URI of a whole SVG document (with its
    namespace), since an inline <svg> fragment used as an image renders nowhere."""
    uri = segno.make(url, error="m").svg_data_uri(scale=4)
    return format_html('<img alt="QR" id="{}" src="{}">', element_id, uri)


def expiry_badge(expires_at: datetime | None) -> SafeString:
    """Green with over 30 minutes left, amber under that, red when expired, grey if none."""
    if expires_at is None:
        return badge(_("none"), "off")
    left = (expires_at - timezone.now()).total_seconds()
    if left <= 0:
        return badge(_("expired"), "bad")
    tone = "ok" if left > 1800 else "warn"
    return badge(_("%(minutes)d min left") % {"minutes": left // 60}, tone)


class WriteOnlySecrets(forms.ModelForm):
    """Secret fields are entered, never shown again: an empty input keeps the stored value."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = self.instance.pk is not None
        for name in self.secret_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            field.required = not existing and not self.instance._meta.get_field(name).blank
            if existing:
                field.help_text = gettext_lazy("Write-only: leave empty to keep the current value.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is not None:
            for name in self.secret_fields:
                if name in cleaned and not cleaned[name]:
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


class ConsoleAdmin(admin.ModelAdmin):
    """Every console page lists, shows and offers only what the signed-in staff member's scope
    allows (console.scope): its own rows and, in forms, its own providers and suites."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_of(request).narrow(super().get_queryset(request))

    def has_owner_permission(self, request: HttpRequest) -> bool:
        """For actions that cannot be undone (``confirmed_action(dangerous=True)``)."""
        return scope_of(request).role == Role.OWNER

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", scope_of(request).narrow(db_field.related_model.objects))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", scope_of(request).narrow(db_field.related_model.objects))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SecretsAdmin(ConsoleAdmin):
    """The admin of a model whose form takes secrets (a WriteOnlySecrets form): they are masked
    in error reports like Django's own password forms, and left out of the page of anyone who
    may only view the object."""

    form: type[WriteOnlySecrets]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        view = sensitive_post_parameters(*self.form.secret_fields)(super().changeform_view)
        return view(request, object_id, form_url, extra_context)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...] | None:
        excluded = tuple(super().get_exclude(request, obj) or ())
        if obj is not None and not self.has_change_permission(request, obj):
            excluded += self.form.secret_fields
        return excluded or None


def confirmed_action(
    name: str,
    description: StrOrPromise,
    service: Callable[[Any], Any],
    *,
    dangerous: bool = False,
    queued: bool = False,
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], Any]:
    """An admin action that first shows what it will act on, then runs ``service`` on each
    object and reports how many succeeded and why others failed. A ``dangerous`` one (it
    cannot be undone) is offered to owners only; a ``queued`` one hands the work to a worker
    and says so, rather than "done"."""

    @admin.action(description=description, permissions=["owner"] if dangerous else None)
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
        if request.POST.get("confirmed") != "yes":
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "description": description,
                "objects": list(queryset[:100]),
                "count": queryset.count(),
                "opts": modeladmin.model._meta,
                "action": request.POST.get("action", ""),
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
                "dangerous": dangerous,
            }
            return TemplateResponse(request, "console/confirm_action.html", context)
        done, failed = 0, []
        for obj in queryset:
            try:
                service(obj)
                done += 1
            except Exception as error:  # reported to the operator, one line per object
                log.warning(
                    "console action failed", extra={"action": description, "object": str(obj)}
                )
                refusal = refusal_for(error)
                failed.append(f"{obj}: {refusal.detail if refusal else error}")
        if done:
            report = (
                ngettext(
                    "%(action)s: queued %(n)d object; a worker processes it shortly.",
                    "%(action)s: queued %(n)d objects; a worker processes them shortly.",
                    done,
                )
                if queued
                else ngettext(
                    "%(action)s: done for %(n)d object.",
                    "%(action)s: done for %(n)d objects.",
                    done,
                )
            )
            modeladmin.message_user(
                request, report % {"action": description, "n": done}, messages.SUCCESS
            )
        if failed:
            modeladmin.message_user(
                request,
                _("%(action)s failed for: %(list)s")
                % {"action": description, "list": "; ".join(failed)},
                messages.ERROR,
            )
        return None

    action.__name__ = name
    return action


class ReadOnlyInline(admin.TabularInline):
    """Rows listed on their parent's page and never edited there: every field read-only."""

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ConsoleAdmin):
    """A mirror or a log: viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


_SECRET_ELEMENTS = re.compile(
    r"(<(SuiteTicket|AuthCode|RegisterCode|AccessToken)>)(.*?)(</\2>)", re.DOTALL
)


def masked_xml(xml: str) -> str:
    """A decrypted callback, readable, with the credentials inside it masked."""
    return _SECRET_ELEMENTS.sub(lambda m: f"{m.group(1)}***{m.group(4)}", xml)
