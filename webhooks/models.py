"""Outbound webhooks (issue 16): the ISV's endpoints, the messages the platform publishes, and
each message's delivery to each endpoint with one row per try."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corps.fields import EncryptedTextField
from corps.models import Provider, Suite


class Endpoint(models.Model):
    """Where the ISV wants events: a URL, which types (empty: all) of which suites (none: every
    suite of the provider). Its signing secret is shown once, at creation or rotation."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(_("URL"), max_length=2048)
    description = models.CharField(_("description"), max_length=255, blank=True)
    event_types = models.JSONField(
        _("event types"), default=list, blank=True, help_text=_("Empty: every type.")
    )
    suites = models.ManyToManyField(
        Suite, blank=True, related_name="+", verbose_name=_("suites"),
        help_text=_("None: every suite of the provider."),
    )  # fmt: skip
    enabled = models.BooleanField(_("enabled"), default=True)
    internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("May be on a private or loopback address (set by an owner)."),
    )
    secret = EncryptedTextField(_("signing secret"))
    previous_secret = EncryptedTextField(_("previous signing secret"), blank=True)
    previous_secret_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True
    )
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, message_type: str) -> bool:
        """Whether the endpoint takes this type: named exactly, or by its family
        (``change_contact`` takes ``change_contact.update_user``; ``license`` every licence
        event)."""
        types = self.event_types or []
        return not types or message_type in types or message_type.split(".")[0] in types


class Message(models.Model):
    """One event as the endpoints receive it: the JSON body is fixed when it is published, so
    every try and every redelivery sends the same bytes with the same webhook-id."""

    msg_id = models.CharField(_("message id"), max_length=64)
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="+",
        db_index=False,  # message_created_idx leads with it
    )  # fmt: skip
    suite = models.ForeignKey(
        Suite, verbose_name=_("suite"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    type = models.CharField(_("type"), max_length=96)
    corpid = models.CharField(_("corpid"), max_length=64, blank=True)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        indexes = [models.Index(fields=["provider", "created_at"], name="message_created_idx")]
        # Not unique=True: that adds a LIKE-pattern twin on PostgreSQL, and ids are never
        # searched by prefix. Every published event writes a message row.
        constraints = [models.UniqueConstraint(fields=["msg_id"], name="message_msg_id_unique")]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class Delivery(models.Model):
    """A message on its way to one endpoint: retried with backoff until it is accepted or the
    schedule (over a day) runs out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("gave up")

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="deliveries",
        db_index=False,  # delivery_unique leads with it
    )  # fmt: skip
    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    tries = models.PositiveIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["message", "endpoint"], name="delivery_unique")
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.message} → {self.endpoint}"


class Attempt(models.Model):
    """One try: what the endpoint answered (status, an excerpt) or why nothing came back."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempts"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    ok = models.BooleanField(_("accepted"), default=False)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery} at {self.at:%Y-%m-%d %H:%M:%S}"
