"""Outbound webhook endpoints in the staff API (issue 16): staff and provider-wide service
accounts list, create, change and delete their provider's endpoints; the signing secret is in
the answer to a creation or a rotation only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from console.api import ERRORS, StaffView
from corps.models import Provider, Suite
from oauth.models import Role
from tokens.refusals import Refused
from webhooks.models import Endpoint
from webhooks.services import endpoint_create, endpoint_enable, secret_rotate, url_check


class EndpointSerializer(serializers.ModelSerializer):
    suite_ids = serializers.SerializerMethodField()

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "event_types", "suite_ids", "enabled", "internal",
                  "failing_since", "disabled_reason", "created_at"]  # fmt: skip

    def get_suite_ids(self, endpoint: Endpoint) -> list[str]:
        return [s.suite_id for s in endpoint.suites.all()]


class EndpointCreated(EndpointSerializer):
    secret = serializers.CharField(help_text=_("whsec_…: shown in this answer only."))

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class EndpointRequest(serializers.Serializer):
    url = serializers.URLField(max_length=2048)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=96), required=False, max_length=100
    )
    suite_ids = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    enabled = serializers.BooleanField(required=False)
    internal = serializers.BooleanField(required=False)
    provider_corpid = serializers.CharField(required=False, help_text=_("Superusers only."))


class SecretAnswer(serializers.Serializer):
    secret = serializers.CharField()


class WebhookView(StaffView):
    def endpoints(self) -> Any:
        return self.scope.narrow(Endpoint.objects.all()).prefetch_related("suites")

    def provider(self, corpid: str | None) -> Provider:
        providers = self.scope.narrow(Provider.objects.all())
        if corpid:
            providers = providers.filter(corpid=corpid)
        if providers.count() != 1:
            raise exceptions.ValidationError({"provider_corpid": [_("Name one provider.")]})
        return providers.get()

    def suites(self, provider: Provider, suite_ids: list[str]) -> list[Suite]:
        found = list(
            self.scope.narrow(Suite.objects.filter(provider=provider, suite_id__in=suite_ids))
        )
        if len(found) != len(set(suite_ids)):
            raise exceptions.ValidationError({"suite_ids": [_("Name suites of this provider.")]})
        return found

    def check_internal(self, data: dict[str, Any]) -> None:
        if data.get("internal") and self.scope.role != Role.OWNER:
            raise Refused(
                403, str(_("Only an owner may send webhooks to an internal address.")),
                "permission_denied",
            )  # fmt: skip


class EndpointList(WebhookView):
    @extend_schema(responses={200: EndpointSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(EndpointSerializer(self.endpoints().order_by("pk"), many=True).data)

    @extend_schema(request=EndpointRequest, responses={201: EndpointCreated, **ERRORS})
    def post(self, request: Request) -> Response:
        body = EndpointRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.check_internal(data)
        provider = self.provider(data.get("provider_corpid"))
        endpoint, secret = endpoint_create(
            provider=provider, url=data["url"], description=data.get("description", ""),
            event_types=data.get("event_types", []),
            suites=self.suites(provider, data.get("suite_ids", [])),
            enabled=data.get("enabled", True), internal=data.get("internal", False),
        )  # fmt: skip
        answer = {**EndpointSerializer(endpoint).data, "secret": secret}
        return Response(answer, status=status.HTTP_201_CREATED)


class EndpointDetail(WebhookView):
    @extend_schema(responses={200: EndpointSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(EndpointSerializer(get_object_or_404(self.endpoints(), pk=pk)).data)

    @extend_schema(request=EndpointRequest, responses={200: EndpointSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = get_object_or_404(self.endpoints(), pk=pk)
        body = EndpointRequest(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.check_internal(data)
        internal = data.get("internal", endpoint.internal)
        with transaction.atomic():
            if "url" in data or "internal" in data:
                url_check(data.get("url", endpoint.url), internal=internal)
                endpoint.url, endpoint.internal = data.get("url", endpoint.url), internal
            for field in ("description", "event_types"):
                if field in data:
                    setattr(endpoint, field, data[field])
            endpoint.save()
            if "suite_ids" in data:
                endpoint.suites.set(self.suites(endpoint.provider, data["suite_ids"]))
            if "enabled" in data:
                endpoint_enable(endpoint, data["enabled"])
        return Response(EndpointSerializer(self.endpoints().get(pk=pk)).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        get_object_or_404(self.endpoints(), pk=pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SecretRotate(WebhookView):
    @extend_schema(request=None, responses={200: SecretAnswer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return Response({"secret": secret_rotate(get_object_or_404(self.endpoints(), pk=pk))})
