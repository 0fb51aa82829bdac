"""The member REST API (SPEC §3): one view per operation, explicit serializers, one error shape."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from corps.models import AuthorizedCorp, Member, Suite
from oauth.api.errors import ErrorSerializer
from oauth.api.pagination import CountedPagePagination
from oauth.api.permissions import IsTenantMember
from oauth.api.serializers import (
    CorpSerializer,
    JssdkConfigSerializer,
    JssdkQuerySerializer,
    MemberSerializer,
    MeSerializer,
    SSORequestSerializer,
    SSOResponseSerializer,
)
from oauth.services import api_token_issue, member_sign_in, sign_in_corp
from tokens.models import Credential
from tokens.services import credential_get
from wecom import jssdk

ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 429, 502, 503)}


class SSOThrottle(AnonRateThrottle):
    scope = "sso"


class SSOExchange(APIView):
    """Exchange an OAuth2 code for an API token and the member."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [SSOThrottle]

    @extend_schema(request=SSORequestSerializer, responses={200: SSOResponseSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        body = SSORequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        suite = Suite.objects.filter(suite_id=body.validated_data["suite_id"]).first()
        if suite is None:
            raise exceptions.NotFound(_("Unknown suite_id."))
        corp = sign_in_corp(suite, body.validated_data.get("corpid"))
        member = member_sign_in(suite=suite, code=body.validated_data["code"], corp=corp)
        token, row = api_token_issue(member=member)
        answer = {"token": token, "expires_at": row.expires_at, "member": member}
        return Response(SSOResponseSerializer(answer).data)


class TenantView(APIView):
    """Views of the signed-in member's own corp, resolved once by IsTenantMember."""

    permission_classes = [IsTenantMember]
    member: Member
    corp: AuthorizedCorp


class MeView(TenantView, generics.GenericAPIView):
    serializer_class = MeSerializer

    @extend_schema(responses={200: MeSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(self.member).data)


class CorpView(TenantView, generics.GenericAPIView):
    serializer_class = CorpSerializer

    @extend_schema(responses={200: CorpSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(CorpSerializer(self.corp).data)


class MemberList(TenantView, generics.ListAPIView):
    """Members of the signed-in member's corp, from the mirror.

    A page is one query (its rows and the total together), read as the serializer's fields'
    values: each is already what JSON carries, so no model instance and no serializer field is
    built for 50 rows (tests/oauth/test_api.py compares the two).
    """

    serializer_class = MemberSerializer
    pagination_class = CountedPagePagination

    def get_queryset(self) -> QuerySet[Member]:
        return Member.tenant.for_corp(self.corp).order_by("name", "pk")

    @extend_schema(responses={200: MemberSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.get_queryset().values(*MemberSerializer.Meta.fields)
        return self.get_paginated_response(self.paginate_queryset(rows))


class MemberDetail(TenantView, generics.RetrieveAPIView):
    """One member of the signed-in member's corp; any other corp's member is a 404."""

    serializer_class = MemberSerializer

    def get_object(self) -> Member:
        scoped = Member.tenant.for_corp(self.corp)
        return get_object_or_404(scoped, open_userid=self.kwargs["open_userid"])

    @extend_schema(responses={200: MemberSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _trusted(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc in settings.JSSDK_TRUSTED_DOMAINS


class JssdkConfig(TenantView):
    """Signatures for wx.config (corp jsapi_ticket) and wx.agentConfig (agent ticket), over
    exactly the given page URL; its host must be one of JSSDK_TRUSTED_DOMAINS."""

    @extend_schema(
        parameters=[OpenApiParameter("url", str, required=True, description="The page URL.")],
        responses={200: JssdkConfigSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = JssdkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        url = query.validated_data["url"]
        if not _trusted(url):
            raise exceptions.ValidationError({"url": [_("This page's domain is not trusted.")]})
        corp = self.corp
        corp_ticket = credential_get(kind=Credential.Kind.JSAPI, owner=corp)
        agent_ticket = credential_get(kind=Credential.Kind.AGENT_CONFIG, owner=corp)
        timestamp = int(time.time())
        config_nonce, agent_nonce = jssdk.nonce(), jssdk.nonce()
        answer = {
            "config": {
                "appId": corp.corpid,
                "timestamp": timestamp,
                "nonceStr": config_nonce,
                "signature": jssdk.sign(
                    ticket=corp_ticket, noncestr=config_nonce, timestamp=timestamp, url=url
                ),
            },
            "agentConfig": {
                "corpid": corp.corpid,
                "agentid": corp.agentid,
                "timestamp": timestamp,
                "nonceStr": agent_nonce,
                "signature": jssdk.sign(
                    ticket=agent_ticket, noncestr=agent_nonce, timestamp=timestamp, url=url
                ),
            },
        }
        return Response(JssdkConfigSerializer(answer).data, status=status.HTTP_200_OK)
