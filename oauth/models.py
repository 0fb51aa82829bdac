from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from corps.models import AuthorizedCorp, Member, Provider, Suite
from tokens.models import Credential


class Role(models.TextChoices):
    """What a provider's staff member or service account may do in the console and staff API.
    Each is a Django group of the same name holding its permissions (oauth migration 0002)."""

    OWNER = "owner", pgettext_lazy("console role", "owner")
    OPERATOR = "operator", pgettext_lazy("console role", "operator")


class StaffMembership(models.Model):
    """A console user who signed in with the provider QR login: which provider, which role,
    and the WeCom identity and admin level it was derived from at the last sign-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_membership",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    userid = models.CharField(_("userid"), max_length=64)
    usertype = models.PositiveSmallIntegerField(_("WeCom admin level"))
    signed_in_at = models.DateTimeField(_("last sign-in"))

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")

    def __str__(self) -> str:
        return f"{self.provider} {self.userid} ({self.role})"


class ServiceKey(models.Model):
    """An API key for one of the provider's own backends: the staff API with a role, scoped to
    the provider and, when suites are named, to those suites. Only the key's SHA-256 is kept."""

    PREFIX = "isv_"

    name = models.CharField(_("name"), max_length=64, unique=True)
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="service_keys"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OPERATOR)
    suites = models.ManyToManyField(
        Suite,
        blank=True,
        related_name="+",
        verbose_name=_("suites"),
        help_text=_("Only these suites; none named means every suite of the provider."),
    )
    relay_paths = models.JSONField(
        _("relayed paths"),
        default=list,
        blank=True,
        help_text=_(
            "qyapi paths it may call through the WeCom relay, * as a wildcard (user/*, "
            "message/send); none: no relaying."
        ),
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    hint = models.CharField(_("key ends with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("service account")
        verbose_name_plural = _("service accounts")

    def __str__(self) -> str:
        return self.name

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiToken(models.Model):
    """An API token issued to a member by the SSO exchange. Only its SHA-256 is stored: the
    token itself is shown once, in the exchange's answer."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"], name="apitoken_expires_idx")]

    def __str__(self) -> str:
        return f"{self.member} until {timezone.localtime(self.expires_at):%Y-%m-%d %H:%M %Z}"

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
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.SET_NULL, null=True, blank=True
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["kind", "-created_at"], name="audit_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M %Z}"


class CredentialGrant(models.Model):
    """One credential handed to a service account by the central credential API, or one it
    reported rejected by WeCom: who, which credential of which corp or suite, when."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("issued")
        INVALIDATED = "invalidated", _("reported rejected")

    key = models.ForeignKey(
        ServiceKey, verbose_name=_("service account"), on_delete=models.CASCADE,
        related_name="grants",
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    kind = models.CharField(_("credential"), max_length=16, choices=Credential.Kind.choices)
    suite = models.ForeignKey(
        Suite, verbose_name=_("suite"), on_delete=models.CASCADE, related_name="+"
    )
    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("credential grant")
        verbose_name_plural = _("credential grants")
        indexes = [models.Index(fields=["-at"], name="grant_at_idx")]

    def __str__(self) -> str:
        return f"{self.key} {self.kind} {self.corp or self.suite}"
