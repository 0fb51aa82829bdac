"""The tenancy model: the provider, its suites, and every corp that installs a suite (the tenant),
with the mirrors of that corp's departments and members."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corps.fields import EncryptedTextField
from corps.tenancy import TenantManager

SUITE_TICKET_VALIDITY = 1800  # seconds; WeCom pushes every 600 and accepts a ticket for 1800


class Provider(models.Model):
    """The ISV itself, as WeCom knows it (通用开发参数)."""

    corpid = models.CharField(_("provider corpid"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    secret = EncryptedTextField(_("provider secret"), help_text=_("Write-only."))
    token = EncryptedTextField(
        _("callback Token"), blank=True, help_text=_("For the system event URL. Write-only.")
    )
    encoding_aes_key = EncryptedTextField(
        _("callback EncodingAESKey"), blank=True, help_text=_("Write-only.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self) -> str:
        return self.name or self.corpid


class Suite(models.Model):
    """A third-party app (or 代开发 template) of the provider."""

    class InstallMode(models.TextChoices):
        FORMAL = "formal", _("formal")
        TEST = "test", _("test authorization")

    class Kind(models.TextChoices):
        THIRDPARTY = "thirdparty", _("third-party app")
        CUSTOMIZED = "customized", _("代开发 template")

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="suites"
    )
    suite_id = models.CharField(_("suite_id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    secret = EncryptedTextField(_("suite secret"), help_text=_("Write-only."))
    token = EncryptedTextField(_("callback Token"), help_text=_("Write-only."))
    encoding_aes_key = EncryptedTextField(_("callback EncodingAESKey"), help_text=_("Write-only."))
    suite_ticket = EncryptedTextField(_("newest suite_ticket"), blank=True)
    suite_ticket_at = models.DateTimeField(
        _("suite_ticket pushed at"), null=True, blank=True, help_text=_("WeCom's TimeStamp.")
    )
    install_mode = models.CharField(
        _("install mode"), max_length=8, choices=InstallMode.choices, default=InstallMode.FORMAL
    )
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=Kind.choices,
        default=Kind.THIRDPARTY,
        help_text=_("A 代开发 template's suite_id is its template id (dk…)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("suite")
        verbose_name_plural = _("suites")
        indexes = [models.Index(fields=["suite_ticket_at"], name="suite_ticket_at_idx")]

    def __str__(self) -> str:
        return self.name or self.suite_id

    def ticket_age(self, now: datetime | None = None) -> float | None:
        """Seconds since WeCom pushed the newest ticket, or None before the first push."""
        if self.suite_ticket_at is None:
            return None
        return ((now or timezone.now()) - self.suite_ticket_at).total_seconds()

    def ticket_is_fresh(self, now: datetime | None = None) -> bool:
        age = self.ticket_age(now)
        return age is not None and age < SUITE_TICKET_VALIDITY


class AuthorizedCorp(models.Model):
    """A tenant: one corp that installed one suite. Re-installs reactivate the same row."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")

    # WeCom's codes (API.md §2.4), shown by their meaning in the console.
    class CorpType(models.TextChoices):
        VERIFIED = "verified", _("verified")
        UNVERIFIED = "unverified", _("unverified")

    class SubjectType(models.IntegerChoices):
        COMPANY = 1, _("company")
        GOVERNMENT = 2, _("government or public institution")
        OTHER = 3, _("other organization")
        TEAM = 4, _("team")

    class AuthMode(models.IntegerChoices):
        ADMIN = 0, _("authorized by an admin")
        MEMBER = 1, _("authorized by a member")

    class AppStatus(models.IntegerChoices):
        UNPAID = 0, _("not paid")
        TRIAL = 1, _("in a time-limited trial")
        TRIAL_EXPIRED = 2, _("trial expired")
        PAID = 3, _("paid, within its term")
        PAID_EXPIRED = 4, _("paid, term expired")
        UNLIMITED_TRIAL = 5, _("unlimited trial")
        OVER_LIMIT = 6, _("paid, over the seat limit (under 7 days)")
        OVER_LIMIT_LONG = 7, _("paid, over the seat limit (7 days or more)")

    class PublishStatus(models.IntegerChoices):
        """A 代开发 app's customized_publish_status (agent/get)."""

        NOT_CREATED = 0, _("not created yet")
        IN_DEVELOPMENT = 1, _("in development")
        ONLINE = 2, _("online")
        ONLINE_WITH_DRAFT = 3, _("online, a newer version unpublished")

    suite = models.ForeignKey(
        Suite, verbose_name=_("suite"), on_delete=models.PROTECT, related_name="corps",
        db_index=False,  # corp_unique_per_suite and corp_suite_status_idx lead with it
    )  # fmt: skip
    corpid = models.CharField(_("corpid"), max_length=64)
    corp_name = models.CharField(_("corp name"), max_length=255, blank=True)
    corp_full_name = models.CharField(_("full name"), max_length=255, blank=True)
    corp_type = models.CharField(
        _("corp type"), max_length=32, blank=True, choices=CorpType.choices
    )
    corp_square_logo_url = models.URLField(_("logo"), max_length=1024, blank=True)
    corp_user_max = models.PositiveIntegerField(_("user limit"), null=True, blank=True)
    subject_type = models.PositiveSmallIntegerField(
        _("subject type"), null=True, blank=True, choices=SubjectType.choices
    )
    verified_end_time = models.DateTimeField(_("verified until"), null=True, blank=True)
    corp_scale = models.CharField(_("scale"), max_length=64, blank=True)
    corp_industry = models.CharField(_("industry"), max_length=64, blank=True)
    corp_sub_industry = models.CharField(_("sub-industry"), max_length=64, blank=True)
    permanent_code = EncryptedTextField(
        _("permanent code"), blank=True, help_text=_("Deleted when the corp cancels.")
    )
    agentid = models.BigIntegerField(_("agentid"), null=True, blank=True)
    auth_mode = models.PositiveSmallIntegerField(
        _("auth mode"), default=AuthMode.ADMIN, choices=AuthMode.choices
    )
    auth_scope = models.JSONField(
        _("auth scope"), default=dict, blank=True, help_text=_("The agent's privilege.")
    )
    auth_info = models.JSONField(_("auth info"), default=dict, blank=True)
    edition_id = models.CharField(_("edition id"), max_length=64, blank=True)
    edition_name = models.CharField(_("edition"), max_length=64, blank=True)
    app_status = models.PositiveSmallIntegerField(
        _("app status"), null=True, blank=True, choices=AppStatus.choices
    )
    user_limit = models.PositiveIntegerField(_("seat limit"), null=True, blank=True)
    edition_expires_at = models.DateTimeField(_("edition expires"), null=True, blank=True)
    publish_status = models.PositiveSmallIntegerField(
        _("publish status"),
        null=True,
        blank=True,
        choices=PublishStatus.choices,
        help_text=_("A 代开发 app's state in the corp, as WeCom last reported it."),
    )
    app_closed = models.BooleanField(
        _("disabled by the corp"),
        default=False,
        help_text=_("The corp's admin disabled the app (WeCom's agent/get)."),
    )
    ids_upgraded_at = models.DateTimeField(
        _("ID upgrade finished"),
        null=True,
        blank=True,
        help_text=_("When WeCom was told this corp's ID migration is finished."),
    )
    admin_userid = models.CharField(_("installing admin"), max_length=64, blank=True)
    admin_open_userid = models.CharField(
        _("installing admin (open_userid)"), max_length=64, blank=True
    )
    install_state = models.CharField(_("install state"), max_length=128, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    installed_at = models.DateTimeField(_("installed"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reactivated_at = models.DateTimeField(_("reactivated"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("authorized corp")
        verbose_name_plural = _("authorized corps")
        constraints = [
            models.UniqueConstraint(fields=["suite", "corpid"], name="corp_unique_per_suite")
        ]
        indexes = [
            models.Index(fields=["corpid"], name="corp_corpid_idx"),
            models.Index(fields=["status", "-installed_at"], name="corp_status_installed_idx"),
            models.Index(fields=["suite", "status"], name="corp_suite_status_idx"),
            models.Index(fields=["edition_name"], name="corp_edition_idx"),
            models.Index(fields=["-installed_at"], name="corp_installed_idx"),
            models.Index(fields=["corp_name"], name="corp_name_idx"),
        ]

    def __str__(self) -> str:
        return self.corp_name or self.corpid

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Department(models.Model):
    """A mirror of one of the corp's departments, kept by change_contact and resyncs."""

    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, related_name="departments"
    )
    department_id = models.BigIntegerField(_("department id"))
    name = models.CharField(_("name"), max_length=255, blank=True)
    parent_id = models.BigIntegerField(_("parent id"), null=True, blank=True)
    order = models.BigIntegerField(_("order"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = models.Manager()
    tenant = TenantManager()  # for code serving a tenant: must be scoped with for_corp()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["corp", "department_id"], name="department_unique")
        ]

    def __str__(self) -> str:
        return self.name or str(self.department_id)


class Member(models.Model):
    """A mirror of a member of the corp, keyed by the suite-scoped open_userid."""

    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, related_name="members",
        db_index=False,  # member_unique and member_userid_idx lead with it
    )  # fmt: skip
    open_userid = models.CharField(_("open_userid"), max_length=64)
    userid = models.CharField(
        _("userid"), max_length=64, blank=True, help_text=_("Where the corp allows it.")
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    avatar = models.URLField(_("avatar"), max_length=1024, blank=True)
    gender = models.PositiveSmallIntegerField(_("gender"), default=0)
    position = models.CharField(_("position"), max_length=128, blank=True)
    departments = models.JSONField(_("departments"), default=list, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), default=1)
    is_admin = models.BooleanField(_("app admin"), default=False)
    changed_at = models.DateTimeField(
        _("changed in WeCom"),
        null=True,
        blank=True,
        help_text=_("WeCom's time of the newest change applied; older changes are ignored."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wecom_member",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = models.Manager()
    tenant = TenantManager()  # for code serving a tenant: must be scoped with for_corp()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["corp", "open_userid"], name="member_unique")
        ]
        indexes = [models.Index(fields=["corp", "userid"], name="member_userid_idx")]

    def __str__(self) -> str:
        return self.name or self.open_userid

    @property
    def can_sign_in(self) -> bool:
        """Not disabled (2) and not gone from the corp (5), by WeCom's member status."""
        return self.status not in (2, 5)


class MemberTombstone(models.Model):
    """A member WeCom said was deleted, and when: a change older than that arriving late (out
    of order, or redelivered) must not bring the member back."""

    corp = models.ForeignKey(
        AuthorizedCorp, verbose_name=_("corp"), on_delete=models.CASCADE, related_name="+"
    )
    open_userid = models.CharField(_("open_userid"), max_length=64)
    deleted_at = models.DateTimeField(_("deleted in WeCom"))

    class Meta:
        verbose_name = _("deleted member")
        verbose_name_plural = _("deleted members")
        constraints = [
            models.UniqueConstraint(fields=["corp", "open_userid"], name="member_tombstone_unique")
        ]

    def __str__(self) -> str:
        return self.open_userid


class RegisterCode(models.Model):
    """A promotion register code (推广注册码) and what it became."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        REGISTERED = "registered", _("registered")

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="register_codes",
    )
    template_id = models.CharField(_("template id"), max_length=128)
    code = EncryptedTextField(_("register code"))
    code_digest = models.CharField(
        _("code digest"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the code, to find it by value."),
    )
    state = models.CharField(_("state"), max_length=128, blank=True)
    corp_name = models.CharField(_("prefilled corp name"), max_length=255, blank=True)
    admin_name = models.CharField(_("prefilled admin name"), max_length=64, blank=True)
    admin_mobile = models.CharField(_("prefilled admin mobile"), max_length=32, blank=True)
    expires_at = models.DateTimeField(_("link expires"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    registered_corpid = models.CharField(_("registered corpid"), max_length=64, blank=True)
    corp = models.ForeignKey(
        AuthorizedCorp,
        verbose_name=_("corp"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="register_codes",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    # The register flow's contact-migration token (register_corp's ContactSync): kept until the
    # app's visible scope is set and the contacts are unlocked, or until it expires.
    contact_sync_token = EncryptedTextField(_("contact-sync token"), blank=True, default="")
    contact_sync_expires_at = models.DateTimeField(
        _("contact-sync token expires"), null=True, blank=True
    )
    contacts_synced_at = models.DateTimeField(_("contact migration done"), null=True, blank=True)

    class Meta:
        verbose_name = _("register code")
        verbose_name_plural = _("register codes")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="register_status_idx"),
            models.Index(fields=["state"], name="register_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.state}".strip()
