"""Paid-edition orders (应用版本付费) in the console, as WeCom reports them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from billing.models import AppOrder
from billing.services import order_sync
from console.admin.common import ReadOnlyAdmin, ReadOnlyInline, confirmed_action
from console.site import site


@admin.register(AppOrder, site=site)
class AppOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_id", "corp", "edition_name", "kind", "status", "user_count",
                    "period_days", "price", "ordered_at", "paid_at")  # fmt: skip
    list_filter = ("status", "kind", "suite")
    search_fields = ("=order_id", "=corpid", "corp__corp_name", "edition_name")
    list_select_related = ("corp",)
    fields = (*list_display, "suite", "corpid", "edition_id", "begins_at", "ends_at",
              "replaced_by", "synced_at")  # fmt: skip
    readonly_fields = fields
    actions = (
        confirmed_action(
            "sync_app_order", gettext_lazy("Sync from WeCom"),
            lambda order: order_sync(order.suite, order.order_id),
        ),
    )  # fmt: skip


class AppOrderInline(ReadOnlyInline):
    """The corp's paid-edition orders on its page."""

    model = AppOrder
    fields = ("order_id", "edition_name", "kind", "status", "user_count", "price", "paid_at")
    ordering = ("-ordered_at",)
