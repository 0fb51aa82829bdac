"""The WeCom relay for service accounts (issue 16): ``/api/v1/corps/<corpid>/wecom/<path>``
calls ``/cgi-bin/<path>`` for that corp with its token, and answers what WeCom answered."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request

from console.api import ERRORS, declared_length
from console.credentials_api import OwnerView
from oauth.api.errors import ErrorSerializer
from oauth.models import ServiceKey
from tokens.refusals import Refused
from tokens.relay import MAX_BODY, json_body, path_refusal, relay

RELAY_ERRORS = {**ERRORS, 413: ErrorSerializer, 429: ErrorSerializer}


class Relay(OwnerView):
    """GET and POST pass through; the allow-list is the service account's relay_paths."""

    def call(self, request: Request, ident: str, path: str, method: str) -> HttpResponse:
        if declared_length(request) > MAX_BODY:
            raise Refused(413, _("Bodies over 1 MB are not relayed."), "body_too_large")
        key = self.request.auth
        assert isinstance(key, ServiceKey)  # IsServiceAccount let the request in
        if refusal := path_refusal(path, key.relay_paths):
            raise refusal
        _owner, _suite, corp = self.owner(ident)
        assert corp is not None  # a corp URL
        body = json_body(request.body) if method == "POST" else b""
        if len(body) > MAX_BODY:
            raise Refused(413, _("Bodies over 1 MB are not relayed."), "body_too_large")
        query = {k: str(v) for k, v in request.query_params.items() if k != "suite_id"}
        answer = relay(corp=corp, method=method, path=path, query=query, body=body)
        return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)

    @extend_schema(responses={200: dict, **RELAY_ERRORS})
    def get(self, request: Request, ident: str, path: str) -> HttpResponse:
        return self.call(request, ident, path, "GET")

    @extend_schema(request=dict, responses={200: dict, **RELAY_ERRORS})
    def post(self, request: Request, ident: str, path: str) -> HttpResponse:
        return self.call(request, ident, path, "POST")
