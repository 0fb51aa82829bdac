"""Provider staff endpoints (SPEC §3): read-only tenant overview and register codes."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.admin.register_codes import register_url
from console.scope import Scope, scope_of
from corps.models import AuthorizedCorp, Provider, RegisterCode, Suite
from corps.services import REGISTER_STATE_PATTERN, register_code_create
from oauth.api.errors import ErrorSerializer
from tokens.models import Credential
from tokens.refusals import Refused
from tokens.selectors import expiries
from tokens.services import provider_api

ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 502, 503)}


def declared_length(request: Request) -> int:
    """The body's size as the request declares it, to refuse a large body before reading it.
    A Content-Length that is not a number is refused (gunicorn refuses one itself; a server
    that passes it on would have made this a 500)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, gettext("Content-Length is not a number."), "invalid") from None


class IsProviderStaff(BasePermission):
    """Provider staff of any role and service accounts; console.scope limits what each sees."""

    message = _("This endpoint is for the provider's staff and service accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return scope_of(request).role is not None


class StaffView(APIView):
    permission_classes = [IsProviderStaff]

    @property
    def scope(self) -> Scope:
        return scope_of(self.request)


class SuiteSerializer(serializers.ModelSerializer):
    provider_corpid = serializers.CharField(source="provider.corpid")
    ticket_age_seconds = serializers.SerializerMethodField()
    ticket_fresh = serializers.SerializerMethodField()
    token_expires_at = serializers.SerializerMethodField()
    active_corps = serializers.IntegerField()
    cancelled_corps = serializers.IntegerField()

    class Meta:
        model = Suite
        fields = [
            "suite_id",
            "name",
            "provider_corpid",
            "install_mode",
            "ticket_age_seconds",
            "ticket_fresh",
            "token_expires_at",
            "active_corps",
            "cancelled_corps",
        ]

    def get_ticket_age_seconds(self, suite: Suite) -> int | None:
        age = suite.ticket_age()
        return None if age is None else int(age)

    def get_ticket_fresh(self, suite: Suite) -> bool:
        return suite.ticket_is_fresh()

    def get_token_expires_at(self, suite: Suite) -> str | None:
        expires = self.context["token_expiries"].get(suite.pk)
        return expires.isoformat() if expires else None


class SuiteList(StaffView, generics.ListAPIView):
    serializer_class = SuiteSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Suite]:
        return (
            self.scope.narrow(Suite.objects.all())
            .select_related("provider")
            .only("suite_id", "name", "install_mode", "suite_ticket_at", "provider__corpid")
            .annotate(
                active_corps=Count("corps", filter=Q(corps__status=AuthorizedCorp.Status.ACTIVE)),
                cancelled_corps=Count(
                    "corps", filter=Q(corps__status=AuthorizedCorp.Status.CANCELLED)
                ),
            )
            .order_by("suite_id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "token_expiries": expiries(Credential.Kind.SUITE),
        }

    @extend_schema(responses={200: SuiteSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffCorpSerializer(serializers.ModelSerializer):
    suite_id = serializers.CharField(source="suite.suite_id")

    class Meta:
        model = AuthorizedCorp
        fields = [
            "suite_id",
            "corpid",
            "corp_name",
            "status",
            "edition_name",
            "app_status",
            "agentid",
            "installed_at",
            "cancelled_at",
            "reactivated_at",
        ]


CORP_FILTERS = [
    OpenApiParameter("suite_id", str, description=_("only this suite's corps")),
    OpenApiParameter("status", str, enum=AuthorizedCorp.Status.values),
    OpenApiParameter("edition", str, description=_("edition name")),
    OpenApiParameter("q", str, description=_("corpid, or part of the corp name")),
    OpenApiParameter("installed_after", str, description=_("ISO date")),
]


class CorpList(StaffView, generics.ListAPIView):
    serializer_class = StaffCorpSerializer

    def get_queryset(self) -> QuerySet[AuthorizedCorp]:
        params = self.request.query_params
        corps = (
            self.scope.narrow(AuthorizedCorp.objects.all())
            .select_related("suite")
            .defer("permanent_code")
            .order_by("-installed_at", "pk")
        )
        if params.get("suite_id"):
            corps = corps.filter(suite__suite_id=params["suite_id"])
        if params.get("status"):
            if params["status"] not in AuthorizedCorp.Status.values:
                raise exceptions.ValidationError({"status": [_("Unknown status.")]})
            corps = corps.filter(status=params["status"])
        if params.get("edition"):
            corps = corps.filter(edition_name=params["edition"])
        if params.get("q"):
            corps = corps.filter(Q(corpid=params["q"]) | Q(corp_name__icontains=params["q"]))
        if params.get("installed_after"):
            field = serializers.DateField()
            try:
                corps = corps.filter(
                    installed_at__date__gte=field.to_internal_value(params["installed_after"])
                )
            except serializers.ValidationError as error:
                raise exceptions.ValidationError({"installed_after": error.detail}) from None
        return corps

    @extend_schema(
        parameters=CORP_FILTERS, responses={200: StaffCorpSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RegisterCodeRequest(serializers.Serializer):
    provider_corpid = serializers.CharField(
        required=False, help_text=_("needed with several providers")
    )
    template_id = serializers.CharField(max_length=128)
    state = serializers.RegexField(REGISTER_STATE_PATTERN, required=False, allow_blank=True)
    corp_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    admin_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    admin_mobile = serializers.CharField(max_length=32, required=False, allow_blank=True)


class RegisterCodeResponse(serializers.ModelSerializer):
    register_code = serializers.CharField(source="code")
    register_url = serializers.SerializerMethodField()

    class Meta:
        model = RegisterCode
        fields = ["register_code", "register_url", "template_id", "state", "status", "expires_at"]

    def get_register_url(self, code: RegisterCode) -> str:
        return register_url(code.code)


class RegisterCodeCreate(StaffView):
    @extend_schema(request=RegisterCodeRequest, responses={201: RegisterCodeResponse, **ERRORS})
    def post(self, request: Request) -> Response:
        body = RegisterCodeRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        providers = self.scope.narrow(Provider.objects.all())
        if data.get("provider_corpid"):
            providers = providers.filter(corpid=data["provider_corpid"])
        if providers.count() != 1:
            raise exceptions.ValidationError(
                {"provider_corpid": [_("Name one configured provider.")]}
            )
        provider = providers.get()
        fields = {k: data.get(k, "") for k in ("state", "corp_name", "admin_name", "admin_mobile")}
        issued = provider_api(provider).get_register_code(template_id=data["template_id"], **fields)
        code = register_code_create(
            provider=provider,
            template_id=data["template_id"],
            code=issued.value,
            expires_in=issued.expires_in,
            **fields,
        )
        return Response(RegisterCodeResponse(code).data, status=status.HTTP_201_CREATED)
