"""Central credentials (中控) for the ISV's own services (issue 16): a corp's access_token and
JS-SDK tickets, a suite's access_token, handed out by the same single-flight credential service
the platform uses, so any number of backends cause one upstream call per credential lifetime.
Service accounts only; every issuance and every reported rejection is kept as a CredentialGrant."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from console.api import ERRORS, StaffView
from corps.models import AuthorizedCorp, Suite
from oauth.models import CredentialGrant, ServiceKey
from tokens.models import Credential
from tokens.refusals import Refused
from tokens.services import Owner, credential_invalidate, credential_issue

Kind = Credential.Kind
ANSWER_FIELD: dict[str, str] = {
    Kind.CORP: "access_token",
    Kind.SUITE: "access_token",
    Kind.JSAPI: "ticket",
    Kind.AGENT_CONFIG: "ticket",
}


class IsServiceAccount(BasePermission):
    message = _("Credentials are handed to service accounts (isv_… keys) only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ServiceKey)


class CredentialAnswer(serializers.Serializer):
    access_token = serializers.CharField(required=False)
    ticket = serializers.CharField(required=False)
    expires_at = serializers.DateTimeField(help_text=_("Use it until then, not longer."))


class RejectedToken(serializers.Serializer):
    access_token = serializers.CharField(
        max_length=512, help_text=_("The token WeCom rejected (40014, 42001).")
    )


class OwnerView(StaffView):
    """A service account's view of one corp or suite in its scope, named in the URL. Answers
    no method of its own: a subclass that sends messages must not hand out the token on GET."""

    permission_classes = [IsServiceAccount]
    kind: str = Kind.CORP

    def owner(self, ident: str) -> tuple[Owner, Suite, AuthorizedCorp | None]:
        """The corp (any status: a cancelled one is refused by the credential service with
        403 authorization_cancelled) or suite named in the URL; out of scope is a 404."""
        if self.kind == Kind.SUITE:
            suite = get_object_or_404(self.scope.narrow(Suite.objects.filter(suite_id=ident)))
            return suite, suite, None
        corps = self.scope.narrow(AuthorizedCorp.objects.filter(corpid=ident))
        if suite_id := self.request.query_params.get("suite_id"):
            corps = corps.filter(suite__suite_id=suite_id)
        found = list(corps.select_related("suite__provider")[:2])
        if not found:
            raise Http404
        if len(found) > 1:
            raise Refused(
                400,
                gettext("This corp installed several of your apps: name one with ?suite_id="),
                "suite_required",
            )
        return found[0], found[0].suite, found[0]

    def answer(self, owner: Owner, suite: Suite, corp: AuthorizedCorp | None) -> Response:
        issued = credential_issue(kind=self.kind, owner=owner)
        self.record(CredentialGrant.Action.ISSUED, suite, corp)
        return Response({ANSWER_FIELD[self.kind]: issued.value, "expires_at": issued.usable_until})

    def record(self, action: str, suite: Suite, corp: AuthorizedCorp | None) -> None:
        assert isinstance(self.request.auth, ServiceKey)
        CredentialGrant.objects.create(
            key=self.request.auth, action=action, kind=self.kind, suite=suite, corp=corp
        )


class CredentialView(OwnerView):
    """One credential of one corp or suite in the service account's scope."""

    @extend_schema(responses={200: CredentialAnswer, **ERRORS})
    def get(self, request: Request, ident: str) -> Response:
        return self.answer(*self.owner(ident))


class TokenInvalidate(OwnerView):
    """WeCom rejected this token: it is dropped if it is still the current one (so a crowd of
    reports causes one refresh), and the current token is answered."""

    @extend_schema(request=RejectedToken, responses={200: CredentialAnswer, **ERRORS})
    def post(self, request: Request, ident: str) -> Response:
        body = RejectedToken(data=request.data)
        body.is_valid(raise_exception=True)
        owner, suite, corp = self.owner(ident)
        credential_invalidate(
            kind=self.kind, owner=owner, failed_value=body.validated_data["access_token"]
        )
        self.record(CredentialGrant.Action.INVALIDATED, suite, corp)
        return self.answer(owner, suite, corp)
