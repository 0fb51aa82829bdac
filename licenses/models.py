"""接口许可 as WeCom reports it: orders, active codes, and each install's trial and check.

Rows are written by the sync from WeCom (licenses.services), never only from our own calls:
WeCom is the source of truth for what was paid, bound, merged and refunded."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corps.models import AuthorizedCorp, Member, Provider, Suite


class AccountType(models.IntegerChoices):
    BASE = 1, _("base account")
    INTEROP = 2, _("interop account")


class LicenseOrder(models.Model):
    class Kind(models.IntegerChoices):
        NEW = 1, _("new accounts")
        RENEWAL = 2, _("renewal")
        EDITION_MIGRATION = 5, _("migrated from app edition")
        CONTRACT_MIGRATION = 6, _("migrated from contract")
        MULTI_CORP = 8, _("multi-corp order")

    class Status(models.IntegerChoices):
        UNPAID = 0, _("unpaid")
        PAID = 1, _("paid")
        CANCELLED = 2, _("cancelled")
        EXPIRED = 3, _("unpaid and expired")
        REFUND_REQUESTED = 4, _("refund requested")
        REFUNDED = 5, _("refunded")
        REFUND_REJECTED = 6, _("refund rejected")
        INVALIDATED = 7, _("invalidated")

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="+"
    )
    order_id = models.CharField(_("order id"), max_length=64, unique=True)
    corpid = models.CharField(_("corpid"), max_length=64, db_index=True)
    kind = models.PositiveSmallIntegerField(_("order type"), choices=Kind.choices)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices)
    base_count = models.PositiveIntegerField(_("base accounts"), default=0)
    interop_count = models.PositiveIntegerField(_("interop accounts"), default=0)
    months = models.PositiveIntegerField(_("months"), default=0)
    days = models.PositiveIntegerField(_("days"), default=0)
    price = models.PositiveBigIntegerField(_("price (fen)"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"))
    auto_renewal = models.BooleanField(
        _("placed by automatic renewal"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("licence order")
        verbose_name_plural = _("licence orders")
        ordering = ["-ordered_at", "-pk"]

    def __str__(self) -> str:
        return self.order_id


class ActiveCode(models.Model):
    class Status(models.IntegerChoices):
        UNBOUND = 1, _("available")
        BOUND = 2, _("active")
        EXPIRED = 3, _("expired")
        TRANSFERRING = 4, _("being transferred")
        MERGED = 5, _("merged into a renewal")
        SHARED = 6, _("shared to another corp")

    class Source(models.TextChoices):
        ORDER = "order", _("purchase")
        TRANSFER = "transfer", _("transfer")
        SHARE = "share", _("share")
        AUTO = "auto", _("automatic activation")

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(_("active code"), max_length=64)
    corpid = models.CharField(_("corpid"), max_length=64)  # indexed first in (corpid, open_userid)
    type = models.PositiveSmallIntegerField(_("account type"), choices=AccountType.choices)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices)
    open_userid = models.CharField(_("member (open_userid)"), max_length=64, blank=True)
    corp = models.ForeignKey(
        AuthorizedCorp,
        verbose_name=_("corp"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The corp's install of one of the provider's apps."),
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.ForeignKey(
        LicenseOrder,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="codes",
    )
    source = models.CharField(_("from"), max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(_("created at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    merged_into = models.CharField(_("merged into"), max_length=64, blank=True)
    synced_at = models.DateTimeField(_("synced at"))
    reminded_at = models.DateTimeField(_("expiry reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("active code")
        verbose_name_plural = _("active codes")
        indexes = [models.Index(fields=["corpid", "open_userid"])]
        # A constraint rather than unique=True: the same index without the LIKE-pattern twin
        # that Django adds for a unique CharField on PostgreSQL (codes are never searched by
        # prefix). Every sync writes a page of codes, and each index is a page write per row.
        constraints = [models.UniqueConstraint(fields=["code"], name="active_code_unique")]

    def __str__(self) -> str:
        return self.code


class CorpLicense(models.Model):
    """One install's licence state as get_app_license_info and get_auto_active_status say."""

    corp = models.OneToOneField(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, related_name="license"
    )
    check_enabled = models.BooleanField(_("licence check"), default=True)
    check_time = models.DateTimeField(_("check starts"), null=True, blank=True)
    trial_start = models.DateTimeField(_("trial start"), null=True, blank=True)
    trial_end = models.DateTimeField(_("trial end"), null=True, blank=True)
    auto_activate = models.BooleanField(_("auto-activation"), default=False)
    synced_at = models.DateTimeField(_("synced at"))
    renew_budget = models.PositiveBigIntegerField(
        _("renewal budget (fen per year)"),
        null=True,
        blank=True,
        help_text=_("What automatic renewal may spend for this corp in 365 days; empty: none."),
    )

    class Meta:
        verbose_name = _("corp licence state")
        verbose_name_plural = _("corp licence states")

    def __str__(self) -> str:
        return str(self.corp)


class UnlicensedAttempt(models.Model):
    """A member without a licence tried to use the app (unlicensed_notify, or our own check)."""

    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    userid = models.CharField(_("userid"), max_length=64)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("unlicensed attempt")
        verbose_name_plural = _("unlicensed attempts")

    def __str__(self) -> str:
        return f"{self.userid} @ {self.at:%Y-%m-%d %H:%M}"


class LicensePolicy(models.Model):
    """What the portal does about licences for one app, set by the provider's staff."""

    suite = models.OneToOneField(
        Suite, verbose_name=_("suite"), on_delete=models.CASCADE, related_name="license_policy"
    )
    activate_on_sign_in = models.BooleanField(
        _("activate on first sign-in"),
        default=False,
        help_text=_("A member without a licence gets an available base account when they sign in."),
    )
    activate_on_subscribe = models.BooleanField(
        _("activate when the app becomes visible"),
        default=False,
        help_text=_("On the subscribe event, as WeCom recommends."),
    )
    transfer_on_leave = models.BooleanField(
        _("pass a leaver's account on"),
        default=False,
        help_text=_(
            "When a member is deleted, their account goes to the latest member of the corp who "
            "was refused for want of a licence."
        ),
    )
    remind_days = models.PositiveSmallIntegerField(_("remind days before expiry"), default=30)
    auto_renew = models.BooleanField(
        _("renew automatically"),
        default=False,
        help_text=_(
            "Accounts expiring within the reminder window are renewed and paid from the "
            "provider's balance, within each corp's renewal budget."
        ),
    )
    renew_months = models.PositiveSmallIntegerField(_("renew for months"), default=12)
    buyer_userid = models.CharField(
        _("buyer userid"),
        max_length=64,
        blank=True,
        help_text=_("A provider admin with the purchase right, who places automatic renewals."),
    )

    class Meta:
        verbose_name = _("licence policy")
        verbose_name_plural = _("licence policies")

    def __str__(self) -> str:
        return str(self.suite)
