from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corps.fields import EncryptedTextField
from corps.models import AuthorizedCorp, Provider, Suite


class CallbackEvent(models.Model):
    """One authenticated callback, stored before it is acknowledged.

    Every callback writes a row, so the row carries only the indexes something reads by. Its
    references are kept by Django (PROTECT, SET_NULL), not by database constraints: PostgreSQL's
    foreign-key triggers locked the suite's and provider's rows (KEY SHARE) on every callback
    and cost about a fifth of the INSERT (bench/callbacks.py).
    """

    class Receiver(models.TextChoices):
        COMMAND = "command", _("command callback")
        DATA = "data", _("data callback")
        SYSTEM = "system", _("system events")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSING = "processing", _("processing")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed")
        IGNORED = "ignored", _("ignored")

    receiver = models.CharField(_("receiver"), max_length=8, choices=Receiver.choices)
    suite = models.ForeignKey(
        Suite,
        verbose_name=_("suite"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    corp = models.ForeignKey(
        AuthorizedCorp,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("corp"),
        db_constraint=False,
        db_index=False,  # event_corp_idx leads with it
    )
    corpid = models.CharField(_("corpid"), max_length=64, blank=True)
    kind = models.CharField(_("event type"), max_length=64)
    change_type = models.CharField(_("change type"), max_length=32, blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=100,
        help_text=_("MsgId, else a hash of the decrypted XML."),
    )
    envelope = models.TextField(_("raw envelope"))
    xml = EncryptedTextField(_("decrypted XML"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    # Database defaults as well, so the callback's INSERT leaves these columns out.
    attempts = models.PositiveIntegerField(_("attempts"), default=0, db_default=0)
    last_error = models.TextField(_("last error"), blank=True, db_default="")
    traceback = models.TextField(_("traceback"), blank=True, db_default="")
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback event")
        verbose_name_plural = _("callback events")
        indexes = [
            models.Index(fields=["status", "received_at"], name="event_status_idx"),
            models.Index(fields=["kind", "-received_at"], name="event_kind_idx"),
            models.Index(fields=["corp", "-received_at"], name="event_corp_idx"),
            models.Index(fields=["-received_at"], name="event_received_idx"),
        ]
        # A constraint rather than unique=True: the same index without the LIKE-pattern twin
        # that Django adds for a unique CharField on PostgreSQL (dedupe keys are never searched
        # by prefix).
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="event_dedupe_key")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
