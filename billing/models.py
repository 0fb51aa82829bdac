"""Paid-edition orders (应用版本付费) as WeCom reports them; the corp's current edition lives on
the AuthorizedCorp (edition_id, edition_name, app_status, user_limit, edition_expires_at)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corps.models import AuthorizedCorp, Suite


class AppOrder(models.Model):
    class Status(models.IntegerChoices):
        UNPAID = 0, _("unpaid")
        PAID = 1, _("paid")
        CANCELLED = 2, _("cancelled")
        EXPIRED = 3, _("payment expired")
        REFUND_REQUESTED = 4, _("refund requested")
        REFUNDED = 5, _("refunded")
        REFUND_REJECTED = 6, _("refund rejected")

    class Kind(models.IntegerChoices):
        NEW = 0, _("new purchase")
        SEATS = 1, _("more seats")
        RENEWAL = 2, _("renewal")
        EDITION = 3, _("edition change")

    suite = models.ForeignKey(
        Suite, verbose_name=_("suite"), on_delete=models.CASCADE, related_name="app_orders"
    )
    corp = models.ForeignKey(
        AuthorizedCorp,
        verbose_name=_("corp"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="app_orders",
    )
    order_id = models.CharField(_("order id"), max_length=64, unique=True)
    corpid = models.CharField(_("corpid"), max_length=64, db_index=True)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices)
    kind = models.PositiveSmallIntegerField(_("order type"), choices=Kind.choices)
    edition_id = models.CharField(_("edition id"), max_length=64, blank=True)
    edition_name = models.CharField(_("edition"), max_length=64, blank=True)
    price = models.PositiveBigIntegerField(_("price (fen)"), null=True, blank=True)
    user_count = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    period_days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    begins_at = models.DateTimeField(_("begins"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    replaced_by = models.CharField(
        _("replaced by order"), max_length=64, blank=True, help_text=_("After a price change.")
    )
    synced_at = models.DateTimeField(_("synced at"))

    class Meta:
        verbose_name = _("app order")
        verbose_name_plural = _("app orders")
        ordering = ["-ordered_at", "-pk"]

    def __str__(self) -> str:
        return self.order_id
