from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corps.fields import EncryptedTextField
from corps.models import AuthorizedCorp, Provider, Suite


class Credential(models.Model):
    """One expiring WeCom credential of one owner, encrypted at rest.

    ``key`` names it ("corp:42"); its row is also the lock that makes refreshes single-flight.
    """

    class Kind(models.TextChoices):
        SUITE = "suite", _("suite_access_token")
        PROVIDER = "provider", _("provider_access_token")
        CORP = "corp", _("corp access_token")
        JSAPI = "jsapi", _("corp jsapi_ticket")
        AGENT_CONFIG = "agent_config", _("agent_config ticket")

    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, null=True, blank=True)
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, null=True, blank=True)
    corp = models.ForeignKey(
        AuthorizedCorp, on_delete=models.CASCADE, null=True, blank=True, related_name="credentials"
    )
    value = EncryptedTextField(_("value"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    refresh_at = models.DateTimeField(
        _("renew from"),
        null=True,
        blank=True,
        help_text=_("From 70 to 85 per cent of its lifetime, jittered."),
    )
    refresh_scheduled_for = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failed refreshes in a row"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        indexes = [
            models.Index(fields=["refresh_at"], name="credential_refresh_idx"),
            models.Index(fields=["kind", "expires_at"], name="credential_kind_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class AuthCodeExchange(models.Model):
    """One install auth_code and the corp it became.

    create_auth and the install-done redirect can carry the same single-use auth_code; this row,
    locked while the code is exchanged, makes whichever arrives second reuse the first's corp.
    """

    code_digest = models.CharField(max_length=64, unique=True)
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE)
    corp = models.ForeignKey(AuthorizedCorp, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("auth_code exchange")
        verbose_name_plural = _("auth_code exchanges")

    def __str__(self) -> str:
        return f"{self.suite_id}:{self.code_digest[:12]}"
