from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from callbacks.models import CallbackEvent
from callbacks.services import event_replay
from console.admin.common import ReadOnlyAdmin, badge, confirmed_action, masked_xml
from console.site import site

TONES = {
    "processed": "ok",
    "ignored": "off",
    "received": "warn",
    "processing": "warn",
    "failed": "bad",
}


@admin.register(CallbackEvent, site=site)
class CallbackEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "change_type",
        "receiver",
        "corp",
        "status_badge",
        "attempts",
        "received_at",
        "error",
    )
    list_filter = ("status", "receiver", "kind", ("received_at", admin.DateFieldListFilter))
    search_fields = ("=corpid", "=dedupe_key")
    list_select_related = ("corp",)
    show_full_result_count = False
    ordering = ("-received_at",)
    fields = (
        "kind",
        "change_type",
        "receiver",
        "status",
        "attempts",
        "last_error",
        "traceback",
        "corp",
        "corpid",
        "suite",
        "provider",
        "dedupe_key",
        "received_at",
        "claimed_at",
        "processed_at",
        "readable_xml",
        "raw_envelope",
    )
    readonly_fields = fields
    actions = (
        confirmed_action(
            "replay",
            gettext_lazy("Replay (process again)"),
            lambda e: event_replay(event=e),
            queued=True,
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackEvent]:
        queryset = super().get_queryset(request)
        # The list never needs the documents (and the XML would be decrypted row by row).
        match = request.resolver_match
        listing = match is not None and (match.url_name or "").endswith("changelist")
        return queryset.defer("xml", "envelope") if listing else queryset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, event: CallbackEvent) -> SafeString:
        return badge(event.get_status_display(), TONES.get(event.status, "off"))

    @admin.display(description=gettext_lazy("error"))
    def error(self, event: CallbackEvent) -> str:
        return event.last_error[:80]

    @admin.display(description=gettext_lazy("decrypted XML (credentials masked)"))
    def readable_xml(self, event: CallbackEvent) -> SafeString:
        return format_html('<pre style="white-space:pre-wrap">{}</pre>', masked_xml(event.xml))

    @admin.display(description=gettext_lazy("raw envelope"))
    def raw_envelope(self, event: CallbackEvent) -> SafeString:
        return format_html(
            '<details><summary>{}</summary><pre style="white-space:pre-wrap">{}</pre></details>',
            gettext_lazy("show"),
            event.envelope,
        )
