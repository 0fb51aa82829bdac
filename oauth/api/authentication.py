"""``Authorization: Bearer …`` for members (tokens from the SSO exchange) and for service
accounts (``isv_…`` keys). Both are stored as SHA-256 digests; last use is written at most once
a minute, so reading the API does not write on every request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from corps.fields import EncryptedTextField
from corps.models import Suite
from isvportal.compiled import CompiledLookup
from oauth.keys import key_digest
from oauth.models import ApiToken, ServiceKey

LAST_USED_EVERY = timedelta(minutes=1)
KEY_PREFIX = ServiceKey.PREFIX.encode()


def _bearer(request: Request) -> bytes | None:
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(_("Send the header as: Bearer <token>."))
    return header[1]


def _touch(row: ApiToken | ServiceKey, now: datetime) -> None:
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        manager = type(row)._default_manager
        manager.filter(pk=row.pk).update(last_used_at=now)


def _member_tokens() -> QuerySet[ApiToken]:
    """Tokens with everything a member request reads, in one query: the member, the user, the
    corp with its licence state (IsTenantMember) and its suite (the credential cache's key).
    The suite's secrets are left out: no request of a member needs them decrypted. (The corp's
    permanent code stays: a credential read checks that the corp still has one.)"""
    secrets = [
        f"member__corp__suite__{field.name}"
        for field in Suite._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
    related = ("member__corp__license", "member__corp__suite", "member__user")
    return ApiToken.objects.select_related(*related).defer(*secrets)


# Compiled once per process: Django compiling the join cost more than running it.
_token_by_digest = CompiledLookup(lambda digest: _member_tokens().filter(digest=digest))


class ServiceAccount:
    """``request.user`` of a request made with a service key (``request.auth`` is the key)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, key: ServiceKey) -> None:
        self.key = key
        self.username = f"service:{key.name}"

    def __str__(self) -> str:
        return self.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A member's token from POST /api/v1/auth/sso/. It stops working when it expires, when
    the member is deleted (with it) or disabled in WeCom, or when the Django user is made
    inactive; a cancelled corp's members are refused by the tenant views (403)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        value = _bearer(request)
        if value is None or value.startswith(KEY_PREFIX):
            return None
        token = _token_by_digest.get(key_digest(value))
        now = timezone.now()
        user = token.member.user if token is not None else None
        if token is None or token.expires_at <= now or user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is invalid or has expired."))
        if not token.member.can_sign_in:
            raise exceptions.AuthenticationFailed(
                _("This member is disabled or has left the corp in WeCom.")
            )
        _touch(token, now)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ServiceKeyAuthentication(authentication.BaseAuthentication):
    """A service account's ``isv_…`` key (manage.py apikey, or the console): the staff API with
    the account's role, scoped to its provider and suites. Revoked and expired keys get 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ServiceAccount, ServiceKey] | None:
        value = _bearer(request)
        if value is None or not value.startswith(KEY_PREFIX):
            return None
        key = ServiceKey.objects.filter(digest=key_digest(value)).first()
        now = timezone.now()
        if key is None or not key.is_usable(now):
            raise exceptions.AuthenticationFailed(_("The key is unknown, revoked or expired."))
        _touch(key, now)
        return ServiceAccount(key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class _BearerScheme(OpenApiAuthenticationExtension):
    """An HTTP bearer scheme in the OpenAPI schema; subclasses say which token it carries."""

    description = ""

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": self.description}


class BearerTokenScheme(_BearerScheme):
    target_class = "oauth.api.authentication.BearerTokenAuthentication"
    name = "BearerToken"
    description = "The token from POST /api/v1/auth/sso/."


class ServiceKeyScheme(_BearerScheme):
    target_class = "oauth.api.authentication.ServiceKeyAuthentication"
    name = "ServiceKey"
    description = "A service account's key, isv_… (manage.py apikey create)."
