from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from oauth.models import ApiToken


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` with a token from POST /api/v1/auth/sso/.

    Tokens are random, stored as SHA-256 digests, and expire after API_TOKEN_TTL."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Bearer <token>."))
        digest = hashlib.sha256(header[1]).hexdigest()
        token = (
            ApiToken.objects.select_related("member__corp", "member__user")
            .filter(digest=digest)
            .first()
        )
        if token is None or token.is_expired or token.member.user is None:
            raise exceptions.AuthenticationFailed(_("The token is invalid or has expired."))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.member.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oauth.api.authentication.BearerTokenAuthentication"
    name = "BearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The token from POST /api/v1/auth/sso/.",
        }
