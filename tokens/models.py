from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corps.fields import EncryptedTextField
from corps.models import AuthorizedCorp, Provider, Suite


class Credential(models.Model):
    """One expiring WeCom credential of one owner, encrypted at rest.

    ``key`` names it ("corp:42"); its refresh lease makes fetching it single-flight.
    """

    class Kind(models.TextChoices):
        SUITE = "suite", _("suite_access_token")
        PROVIDER = "provider", _("provider_access_token")
        CORP = "corp", _("corp access_token")
        JSAPI = "jsapi", _("corp jsapi_ticket")
        AGENT_CONFIG = "agent_config", _("agent_config ticket")

    key = models.CharField(_("key"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, null=True, blank=True
    )
    suite = models.ForeignKey(
        Suite, verbose_name=_("suite"), on_delete=models.CASCADE, null=True, blank=True
    )
    corp = models.ForeignKey(
        AuthorizedCorp,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credentials",
        verbose_name=_("corp"),
    )
    value = EncryptedTextField(_("value"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    refresh_at = models.DateTimeField(
        _("renew from"),
        null=True,
        blank=True,
        help_text=_("From 70 to 85 per cent of its lifetime, jittered."),
    )
    refresh_scheduled_for = models.DateTimeField(_("renewal scheduled for"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True)
    lease_until = models.DateTimeField(
        _("being fetched until"),
        null=True,
        blank=True,
        help_text=_("Set while one process fetches it; the others wait for its answer."),
    )
    lease_token = models.CharField(_("lease token"), max_length=16, blank=True)
    failures = models.PositiveIntegerField(_("failed refreshes in a row"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        indexes = [
            models.Index(fields=["refresh_at"], name="credential_refresh_idx"),
            models.Index(fields=["kind", "expires_at"], name="credential_kind_expiry_idx"),
        ]
        # Not unique=True: that adds a LIKE-pattern twin on PostgreSQL; keys are read exactly.
        constraints = [models.UniqueConstraint(fields=["key"], name="credential_key_unique")]

    def __str__(self) -> str:
        return self.key


class AuthCodeExchange(models.Model):
    """One install auth_code, WeCom's answer for it, and the corp it became.

    create_auth and the install-done redirect can carry the same single-use auth_code; the row's
    lease makes whichever arrives second wait for the first's answer. The answer (with the
    permanent code) is committed the moment it arrives, before the corp is built, so a crash in
    between resumes from it instead of spending the code again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("not exchanged yet")
        ANSWERED = "answered", _("answered; the corp is being set up")
        INSTALLED = "installed", _("installed")
        LOST = "lost", _("answer lost")

    code_digest = models.CharField(_("code digest"), max_length=64, unique=True)
    suite = models.ForeignKey(Suite, verbose_name=_("suite"), on_delete=models.CASCADE)
    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    answer = EncryptedTextField(
        blank=True, help_text=_("WeCom's answer, kept until the corp is built from it.")
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    sent_at = models.DateTimeField(
        _("sent at"), null=True, blank=True, help_text=_("When the code was last sent to WeCom.")
    )
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    lease_token = models.CharField(_("lease token"), max_length=16, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("auth_code exchange")
        verbose_name_plural = _("auth_code exchanges")
        indexes = [models.Index(fields=["status", "created_at"], name="exchange_status_idx")]

    def __str__(self) -> str:
        return f"{self.suite_id}:{self.code_digest[:12]}"
