"""The staff ID conversion API (issue 15): a tenant's ids, converted as WeCom allows."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from console.api import ERRORS, StaffView
from corps.models import AuthorizedCorp
from tokens.ids import external_userids_upgrade, open_userids_to_plain, userids_to_open

MAX_IDS = 10_000
KINDS = {
    "userids": userids_to_open,
    "open_userids": open_userids_to_plain,
    "external_userids": external_userids_upgrade,
}


class IdConvertRequest(serializers.Serializer):
    userids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=MAX_IDS,
        help_text=_("plain userids → open_userids"),
    )
    open_userids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=MAX_IDS,
        help_text=_("open_userids → userids, where the member mirror knows both"),
    )
    external_userids = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_IDS,
        help_text=_("corp-scoped external_userids → the provider-scoped ones"),
    )  # fmt: skip

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        given = [kind for kind in KINDS if data.get(kind)]
        if len(given) != 1:
            raise serializers.ValidationError(
                _("Give exactly one non-empty list: userids, open_userids or external_userids.")
            )
        return data


class IdConvertResponse(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField())
    invalid = serializers.ListField(child=serializers.CharField())


class IdConvert(StaffView):
    @extend_schema(request=IdConvertRequest, responses={200: IdConvertResponse, **ERRORS})
    def post(self, request: Request, corpid: str) -> Response:
        corps = self.scope.narrow(AuthorizedCorp.objects.filter(corpid=corpid, status="active"))
        corp = get_object_or_404(corps.select_related("suite__provider").order_by("pk"))
        body = IdConvertRequest(data=request.data)
        body.is_valid(raise_exception=True)
        kind = next(k for k in KINDS if body.validated_data.get(k))
        result = KINDS[kind](corp, body.validated_data[kind])
        return Response(
            IdConvertResponse({"mapping": result.mapping, "invalid": result.invalid}).data
        )
