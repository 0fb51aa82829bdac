"""Install, member SSO and provider staff login: the URLs that send a browser to WeCom, and
what happens when it comes back. Views and API endpoints hold no logic of their own."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from corps.contacts import member_upsert
from corps.models import AuthorizedCorp, Member, Provider, Suite
from licenses.policies import member_admit
from licenses.services import LICENSE_REQUIRED
from oauth.models import ApiToken, AuditRecord, StaffMembership
from oauth.roles import role_for_usertype
from tokens.authorization import corp_install_by_auth_code
from tokens.kinds import kind_of
from tokens.refusals import Refused
from tokens.services import provider_api, suite_api
from wecom.client import InvalidCodeError

log = logging.getLogger(__name__)
SCOPES = ("snsapi_base", "snsapi_privateinfo")


class SignInError(Refused):
    """A sign-in or install that cannot go on: an HTTP status and a reason for the person."""

    def __init__(self, status: int, detail: str, code: str = "") -> None:
        super().__init__(status, detail, code or ("sign_in_refused" if status == 400 else ""))


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


def safe_next(value: str | None, default: str) -> str:
    """``value`` if it is a path on this site, else ``default``: no open redirects."""
    if not value or "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return default
    return value


# --- install -------------------------------------------------------------------------------


def install_url(*, suite: Suite, state: str) -> str:
    """A fresh pre_auth_code (test or formal per the suite) and WeCom's install page."""
    api = suite_api(suite)
    pre_auth_code = api.get_pre_auth_code()
    auth_type: Literal[0, 1] = 1 if suite.install_mode == Suite.InstallMode.TEST else 0
    api.set_session_info(pre_auth_code=pre_auth_code.value, auth_type=auth_type)
    query = urlencode(
        {
            "suite_id": suite.suite_id,
            "pre_auth_code": pre_auth_code.value,
            "redirect_uri": _absolute(reverse("oauth:install-done", args=[suite.suite_id])),
            "state": state,
        }
    )
    return f"{settings.WECOM_OPEN_BASE}/3rdapp/install?{query}"


def install_finish(*, suite: Suite, auth_code: str) -> AuthorizedCorp:
    """The same exchange as the create_auth handler: one corp, whichever arrives first."""
    try:
        return corp_install_by_auth_code(suite=suite, auth_code=auth_code)
    except InvalidCodeError:
        raise SignInError(400, _("This install link has expired or was already used.")) from None


# --- member SSO ----------------------------------------------------------------------------


def authorize_url(
    *, suite: Suite, state: str, scope: str, corp: AuthorizedCorp | None = None
) -> str:
    """WeCom's OAuth2 page: appid the suite_id (third-party) or the corp with its agentid
    (代开发, see tokens.kinds)."""
    query = urlencode(
        {
            **kind_of(suite).oauth_app(suite, corp),
            "redirect_uri": _absolute(reverse("oauth:login-callback", args=[suite.suite_id])),
            "response_type": "code",
            "scope": scope,
            "state": state,
        }
    )
    return f"{settings.WECOM_OAUTH_BASE}/connect/oauth2/authorize?{query}#wechat_redirect"


@transaction.atomic
def member_user_ensure(member: Member) -> User:
    if member.user is not None:
        return member.user
    # No password: an unusable one. Members sign in through WeCom only.
    user = get_user_model().objects.create_user(
        username=f"wecom-{member.pk}", first_name=member.name[:150]
    )
    Member.objects.filter(pk=member.pk).update(user=user)
    member.user = user
    return user


def sign_in_corp(suite: Suite, corpid: str | None) -> AuthorizedCorp | None:
    """The corp a sign-in names: required for a 代开发 template (its OAuth goes through the
    corp), ignored for a third-party app (WeCom says which corp the code is from)."""
    if not kind_of(suite).needs_corp:
        return None
    if not corpid:
        detail = _("This app signs in through the customer's corp: name it with ?corpid=.")
        raise SignInError(400, detail, "corpid_required")
    corp = AuthorizedCorp.objects.filter(suite=suite, corpid=corpid).first()
    if corp is None:
        raise SignInError(403, _("Your corp has not installed this app."))
    return corp


def member_sign_in(*, suite: Suite, code: str, corp: AuthorizedCorp | None = None) -> Member:
    """An OAuth2 code → the member (mirror updated) with a Django user. One service for the
    browser flow and the REST exchange, and for both kinds of app (tokens.kinds); nothing is
    created when it fails. ``corp`` is the named corp of a 代开发 sign-in (sign_in_corp)."""
    kind = kind_of(suite)
    if corp is not None and not corp.is_active:
        detail = _("Your corp's authorization of this app was cancelled.")
        raise SignInError(403, detail, "authorization_cancelled")
    try:
        identity = kind.identify(suite, corp, code)
    except InvalidCodeError:
        raise SignInError(
            400, _("This sign-in code is invalid, used or expired. Open the app again.")
        ) from None
    if not identity.is_member or not identity.open_userid:
        raise SignInError(403, _("Only members of a corp that installed the app can sign in."))
    corp = corp or AuthorizedCorp.objects.filter(suite=suite, corpid=identity.corpid).first()
    if corp is None:
        raise SignInError(403, _("Your corp has not installed this app."))
    if not corp.is_active:
        detail = _("Your corp's authorization of this app was cancelled.")
        raise SignInError(403, detail, "authorization_cancelled")
    fields: dict[str, object] = {"userid": identity.userid}
    if identity.user_ticket:
        profile = kind.detail(suite, corp, identity.user_ticket)
        fields.update(name=profile.name, avatar=profile.avatar, gender=int(profile.gender or 0))
    member = member_upsert(corp=corp, open_userid=identity.open_userid, **fields)
    if member.user_id is None:  # not loaded otherwise: the browser flow loads it to log in
        member_user_ensure(member)
    if not member_admit(member):
        raise SignInError(403, str(LICENSE_REQUIRED), "license_required")
    return member


def api_token_issue(*, member: Member) -> tuple[str, ApiToken]:
    """A new API token: the value is returned once; only its SHA-256 is kept."""
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        digest=hashlib.sha256(token.encode()).hexdigest(),
        member=member,
        expires_at=timezone.now() + timedelta(seconds=settings.API_TOKEN_TTL),
    )
    return token, row


def sso_corp_mismatch_record(*, user: User | None, member: Member, ip: str | None) -> None:
    signed_in = getattr(user, "wecom_member", None)
    AuditRecord.objects.create(
        kind=AuditRecord.Kind.SSO_CORP_MISMATCH,
        user=user,
        corp=member.corp,
        detail={
            "signed_in_corpid": signed_in.corp.corpid if signed_in else "",
            "code_corpid": member.corp.corpid,
        },
        ip=ip,
    )


# --- provider staff ------------------------------------------------------------------------


def provider_login_url(*, provider: Provider, state: str) -> str:
    query = urlencode(
        {
            "appid": provider.corpid,
            "redirect_uri": _absolute(reverse("oauth:provider-login")),
            "state": state,
            "usertype": "admin",
        }
    )
    return f"{settings.WECOM_OPEN_BASE}/wwopen/sso/3rd_qrConnect?{query}"


def provider_sign_in(*, provider: Provider, auth_code: str, ip: str | None) -> User:
    """The provider's own admins become console staff with the role their WeCom admin level
    gives (oauth.roles), re-evaluated at every sign-in; anyone else is refused and recorded."""
    try:
        info = provider_api(provider).get_login_info(auth_code=auth_code)
    except InvalidCodeError:
        raise SignInError(
            400, _("This login code is invalid, used or expired. Scan again.")
        ) from None
    userid = info.user.userid if info.user else ""
    role = role_for_usertype(info.usertype)
    if info.corpid != provider.corpid or role is None or not userid:
        AuditRecord.objects.create(
            kind=AuditRecord.Kind.PROVIDER_LOGIN_REFUSED,
            detail={"corpid": info.corpid, "userid": userid, "usertype": info.usertype},
            ip=ip,
        )
        if info.corpid == provider.corpid and userid:
            raise SignInError(
                403,
                _(
                    "You are a member of the provider's corp, not one of its admins. Ask an "
                    "admin to make you one in WeCom's admin console, then scan again."
                ),
            )
        raise SignInError(403, _("Only admins of the provider can sign in to the console."))
    with transaction.atomic():
        user, _created = (
            get_user_model()
            .objects.select_for_update()
            .get_or_create(
                username=f"provider-{provider.corpid}-{userid}"[:150],
                defaults={"first_name": (info.user.name if info.user else "")[:150]},
            )
        )
        if not user.is_active:
            raise SignInError(403, _("An owner of the console has disabled this account."))
        user.is_staff, user.is_superuser = True, False
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
        StaffMembership.objects.update_or_create(
            user=user,
            defaults={
                "provider": provider,
                "role": role,
                "userid": userid,
                "usertype": info.usertype,
                "signed_in_at": timezone.now(),
            },
        )
    return user


def staff_userid(user: object) -> str:
    """The provider-corp userid a console user signed in with (the QR login), or ""."""
    pk = getattr(user, "pk", None)
    membership = StaffMembership.objects.filter(user_id=pk).first() if pk else None
    return membership.userid if membership else ""
