from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corps.models import AuthorizedCorp, Member


class ApiToken(models.Model):
    """An API token issued to a member by the SSO exchange. Only its SHA-256 is stored: the
    token itself is shown once, in the exchange's answer."""

    digest = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"], name="apitoken_expires_idx")]

    def __str__(self) -> str:
        return f"{self.member} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class AuditRecord(models.Model):
    """A sign-in refused for a reason an operator should see."""

    class Kind(models.TextChoices):
        SSO_CORP_MISMATCH = "sso_corp_mismatch", _("signed-in corp differs from the code's corp")
        PROVIDER_LOGIN_REFUSED = "provider_login_refused", _("provider login refused")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    corp = models.ForeignKey(AuthorizedCorp, on_delete=models.SET_NULL, null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["kind", "-created_at"], name="audit_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
