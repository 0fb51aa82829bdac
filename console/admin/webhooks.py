"""Webhook endpoints, messages and deliveries in the console: an endpoint's secret is shown once
(at creation and at rotation); deliveries can be sent again and a time range replayed."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from console.admin.common import (
    ConsoleAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    badge,
    confirmed_action,
)
from console.scope import scope_of
from console.site import site
from oauth.models import Role
from tokens.refusals import refusal_for
from webhooks import signing
from webhooks.models import Attempt, Delivery, Endpoint, Message
from webhooks.services import endpoint_enable, redeliver, replay, secret_rotate, url_check


class EndpointForm(forms.ModelForm):
    event_types_text = forms.CharField(
        label=gettext_lazy("event types"), required=False,
        help_text=gettext_lazy(
            "Comma-separated, e.g. create_auth, change_contact, corp.installed; empty: every type."
        ),
    )  # fmt: skip

    class Meta:
        model = Endpoint
        fields = ["provider", "url", "description", "suites", "enabled", "internal"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types_text"].initial = ", ".join(self.instance.event_types or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        types = [t.strip() for t in data.get("event_types_text", "").split(",") if t.strip()]
        self.instance.event_types = types
        if data.get("url"):
            try:
                url_check(data["url"], internal=bool(data.get("internal")))
            except Exception as error:  # the refusal's sentence, beside the field
                refusal = refusal_for(error)
                self.add_error("url", refusal.detail if refusal else str(error))
        provider, suites = data.get("provider"), data.get("suites")
        if provider is not None and suites and any(s.provider_id != provider.pk for s in suites):
            self.add_error("suites", _("Choose suites of the chosen provider only."))
        return data


def _secret_page(
    admin_: admin.ModelAdmin, request: HttpRequest, endpoint: Endpoint, secret: str
) -> TemplateResponse:
    context = {
        **admin_.admin_site.each_context(request),
        "title": _("Signing secret of %(endpoint)s") % {"endpoint": endpoint},
        "endpoint": endpoint,
        "secret": secret,
        "opts": Endpoint._meta,
    }
    return TemplateResponse(request, "console/webhook_secret.html", context)


@admin.action(description=gettext_lazy("Rotate the signing secret"))
def rotate_secret(
    admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Endpoint]
) -> TemplateResponse | None:
    if queryset.count() != 1:
        admin_.message_user(request, _("Rotate one endpoint at a time."), messages.ERROR)
        return None
    endpoint = queryset.get()
    return _secret_page(admin_, request, endpoint, secret_rotate(endpoint))


class ReplayForm(forms.Form):
    since = forms.DateTimeField(label=gettext_lazy("from"))
    until = forms.DateTimeField(label=gettext_lazy("until"))


@admin.action(description=gettext_lazy("Replay the messages of a time range"))
def replay_range(
    admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Endpoint]
) -> TemplateResponse | None:
    form = ReplayForm(request.POST if "since" in request.POST else None)
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        count = sum(replay(endpoint, since, until) for endpoint in queryset)
        queued = ngettext(
            "%(n)d message queued for delivery again.",
            "%(n)d messages queued for delivery again.",
            count,
        )
        admin_.message_user(request, queued % {"n": count})
        return None
    context = {
        **admin_.admin_site.each_context(request),
        "title": _("Replay the messages of a time range"),
        "form": form,
        "endpoints": list(queryset),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "opts": Endpoint._meta,
    }
    return TemplateResponse(request, "console/webhook_replay.html", context)


@admin.register(Endpoint, site=site)
class EndpointAdmin(ConsoleAdmin):
    form = EndpointForm
    list_display = ("__str__", "url", "provider", "state", "failing_since", "created_at")
    list_filter = ("enabled", "provider")
    search_fields = ("url", "description")
    actions = (
        rotate_secret,
        replay_range,
        confirmed_action(
            "enable", gettext_lazy("Enable"), lambda endpoint: endpoint_enable(endpoint, True)
        ),
        confirmed_action(
            "disable", gettext_lazy("Disable"), lambda endpoint: endpoint_enable(endpoint, False)
        ),
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        owner = scope_of(request).role == Role.OWNER
        return (
            "provider", "url", "description", "event_types_text", "suites", "enabled",
            *(("internal",) if owner else ()),
            *(("failing_since", "disabled_reason", "created_at") if obj is not None else ()),
        )  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("failing_since", "disabled_reason", "created_at") if obj is not None else ()

    @admin.display(description=gettext_lazy("status"))
    def state(self, endpoint: Endpoint) -> SafeString:
        if not endpoint.enabled:
            return badge(_("disabled"), "bad" if endpoint.disabled_reason else "off")
        if endpoint.failing_since:
            return badge(_("failing"), "warn")
        return badge(_("enabled"), "ok")

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        if not change:
            request._webhook_secret = obj.secret = signing.new_secret()  # type: ignore[attr-defined]  # for response_add
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Endpoint, post_url_continue: str | None = None
    ) -> HttpResponse:
        return _secret_page(self, request, obj, request._webhook_secret)  # type: ignore[attr-defined]  # set by save_model


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("link", "endpoint", "status", "tries", "next_try_at", "delivered_at")

    @admin.display(description="#")
    def link(self, delivery: Delivery) -> SafeString:
        url = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
        return format_html('<a href="{}">{}</a>', url, delivery.pk)


@admin.register(Message, site=site)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("msg_id", "type", "corpid", "suite", "created_at")
    list_filter = ("type",)
    search_fields = ("=msg_id", "=corpid", "type")
    list_select_related = ("suite",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("msg_id", "type", "provider", "suite", "corpid", "created_at", "pretty_body")
    readonly_fields = fields
    inlines = (DeliveryInline,)

    @admin.display(description=gettext_lazy("body"))
    def pretty_body(self, message: Message) -> SafeString:
        pretty = json.dumps(json.loads(message.body), ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", pretty)


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ("at", "ok", "http_status", "error", "latency_ms", "response_excerpt")
    ordering = ("-at",)


@admin.register(Delivery, site=site)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("message", "endpoint", "status", "tries", "next_try_at", "delivered_at")
    list_filter = ("status", "endpoint")
    search_fields = ("=message__msg_id", "message__type")
    list_select_related = ("message", "endpoint")
    show_full_result_count = False
    fields = ("message", "endpoint", "status", "tries", "next_try_at", "delivered_at")
    readonly_fields = fields
    inlines = (AttemptInline,)
    actions = (
        confirmed_action(
            "redeliver", gettext_lazy("Deliver again now"), lambda d: redeliver([d]), queued=True
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).defer("message__body")
