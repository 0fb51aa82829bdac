"""The staff licence API (SPEC §3, issue 14): a corp's licence summary and codes, activating a
member, and the provider's orders. Staff and service accounts see only the corps in their scope."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from console.api import ERRORS, StaffView
from corps.models import AuthorizedCorp, Member
from corps.selectors import member_by_any_id
from licenses.models import ActiveCode, LicenseOrder
from licenses.services import (
    codes_of,
    corp_license_sync,
    license_summary,
    license_transfer,
    member_activate,
    order_create,
)
from oauth.services import staff_userid
from tokens.refusals import Refused


class AccountsSerializer(serializers.Serializer):
    active = serializers.IntegerField()
    available = serializers.IntegerField()
    expiring_30d = serializers.IntegerField()


class LicenseSummarySerializer(serializers.Serializer):
    trial_end = serializers.DateTimeField(allow_null=True)
    check_enabled = serializers.BooleanField(allow_null=True)
    auto_activate = serializers.BooleanField(allow_null=True)
    accounts = AccountsSerializer()
    unlicensed_members = serializers.ListField(child=serializers.CharField())


class ActiveCodeSerializer(serializers.ModelSerializer):
    active_code = serializers.CharField(source="code")
    expire_time = serializers.DateTimeField(source="expires_at")
    order_id = serializers.CharField(source="order.order_id", default=None)

    class Meta:
        model = ActiveCode
        fields = ["active_code", "type", "status", "open_userid", "source", "order_id",
                  "created_at", "activated_at", "expire_time"]  # fmt: skip


class ActivateRequest(serializers.Serializer):
    open_userid = serializers.CharField(required=False)
    userid = serializers.CharField(required=False)
    active_code = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("open_userid") and not data.get("userid"):
            raise serializers.ValidationError(_("Name the member: open_userid or userid."))
        return data


class TransferRequest(serializers.Serializer):
    handover = serializers.CharField(help_text=_("userid or open_userid of the member leaving"))
    takeover = serializers.CharField(help_text=_("userid or open_userid of the successor"))


class OrderSerializer(serializers.ModelSerializer):
    external_count = serializers.IntegerField(source="interop_count")

    class Meta:
        model = LicenseOrder
        fields = ["order_id", "corpid", "kind", "status", "base_count", "external_count",
                  "months", "days", "price", "ordered_at", "paid_at", "cancelled_at"]  # fmt: skip


class OrderRequest(serializers.Serializer):
    corpid = serializers.CharField()
    base_count = serializers.IntegerField(default=0)
    external_count = serializers.IntegerField(default=0)
    months = serializers.IntegerField()
    buyer_userid = serializers.CharField(
        required=False,
        help_text=_("A provider admin with the purchase right; staff default to themselves."),
    )


def _member(corp: AuthorizedCorp, who: str) -> Member:
    member = member_by_any_id(corp, who)
    if member is None:
        raise Refused(404, str(_("No such member in this corp.")), "not_found")
    return member


class CorpLicenseView(StaffView):
    def corp(self, corpid: str) -> AuthorizedCorp:
        corps = self.scope.narrow(AuthorizedCorp.objects.filter(corpid=corpid))
        return get_object_or_404(corps.select_related("suite__provider").order_by("pk"))


class LicenseSummary(CorpLicenseView):
    @extend_schema(responses={200: LicenseSummarySerializer, **ERRORS})
    def get(self, request: Request, corpid: str) -> Response:
        corp = self.corp(corpid)
        if request.query_params.get("sync") == "1":
            corp_license_sync(corp)
        return Response(LicenseSummarySerializer(license_summary(corp)).data)


def _code_statuses(wanted: str) -> list[int]:
    """``?status=1,2``: the statuses asked for (none: every code). Anything else is refused,
    rather than read as no filter."""
    known = {str(value): value for value in ActiveCode.Status.values}
    asked = [part.strip() for part in wanted.split(",") if part.strip()]
    if unknown := [part for part in asked if part not in known]:
        raise exceptions.ValidationError(
            {"status": [_("Unknown status: %(statuses)s.") % {"statuses": ", ".join(unknown)}]}
        )
    return [known[part] for part in asked]


class LicenseCodes(CorpLicenseView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, description=_("comma-separated statuses, e.g. 1,2 (1 available)")
            )
        ],
        responses={200: ActiveCodeSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, corpid: str) -> Response:
        corp = self.corp(corpid)
        statuses = _code_statuses(request.query_params.get("status", ""))
        codes = codes_of(corp.corpid, status=statuses).select_related("order")
        return Response(ActiveCodeSerializer(codes, many=True).data)


class LicenseActivate(CorpLicenseView):
    @extend_schema(request=ActivateRequest, responses={200: ActiveCodeSerializer, **ERRORS})
    def post(self, request: Request, corpid: str) -> Response:
        corp = self.corp(corpid)
        body = ActivateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        member = _member(corp, data.get("open_userid") or data["userid"])
        code = member_activate(member=member, active_code=data.get("active_code", ""))
        return Response(ActiveCodeSerializer(code).data)


class LicenseTransfer(CorpLicenseView):
    @extend_schema(
        request=TransferRequest, responses={200: ActiveCodeSerializer(many=True), **ERRORS}
    )
    def post(self, request: Request, corpid: str) -> Response:
        corp = self.corp(corpid)
        body = TransferRequest(data=request.data)
        body.is_valid(raise_exception=True)
        takeover = _member(corp, body.validated_data["takeover"])
        moved = license_transfer(
            corp=corp, handover=body.validated_data["handover"], takeover=takeover
        )
        return Response(ActiveCodeSerializer(moved, many=True).data)


class LicenseOrders(StaffView):
    @extend_schema(responses={200: OrderSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        orders = self.scope.narrow(LicenseOrder.objects.all())
        if request.query_params.get("corpid"):
            orders = orders.filter(corpid=request.query_params["corpid"])
        return Response(OrderSerializer(orders[:500], many=True).data)

    @extend_schema(request=OrderRequest, responses={201: OrderSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        body = OrderRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        corps = self.scope.narrow(AuthorizedCorp.objects.filter(corpid=data["corpid"]))
        corp = get_object_or_404(corps.select_related("suite__provider").order_by("pk"))
        buyer = data.get("buyer_userid") or staff_userid(request.user)
        if not buyer:
            need = _("Name buyer_userid: a provider admin with the purchase right.")
            raise Refused(400, str(need), "buyer_required")
        order = order_create(
            corp=corp, buyer_userid=buyer, base_count=data["base_count"],
            interop_count=data["external_count"], months=data["months"],
        )  # fmt: skip
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
