from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from billing.services import edition_of
from corps.models import AuthorizedCorp, Member
from licenses.services import member_license


class FieldsOnce:
    """An output-only serializer whose fields are built once per class, not per instance.

    DRF builds and binds a serializer's fields for every instance (a ModelSerializer's from the
    model's metadata); that was about a quarter of /api/v1/me/'s time under cProfile. Shared
    fields must not depend on the instance, its context or the request: a method field calls
    the method of the instance that built them.
    """

    _built: ClassVar[dict[type, BindingDict]] = {}

    @property
    def fields(self) -> BindingDict:
        built = FieldsOnce._built.get(type(self))
        if built is None:
            built = FieldsOnce._built[type(self)] = serializers.Serializer.fields.func(self)  # type: ignore[attr-defined]
        return built


class EditionSerializer(FieldsOnce, serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "app_status: 0 unpaid, 1 trial, 2 trial expired, 3 paid, 4 paid and expired, "
            "5 unlimited trial, 6 over the seat limit (< 7 days), 7 over it (≥ 7 days)"
        ),
    )
    is_trial = serializers.BooleanField()
    end_time = serializers.DateTimeField(allow_null=True)
    user_limit = serializers.IntegerField(allow_null=True)


class CorpSerializer(FieldsOnce, serializers.ModelSerializer):
    edition = serializers.SerializerMethodField()

    @extend_schema_field(EditionSerializer)
    def get_edition(self, corp: AuthorizedCorp) -> dict[str, Any]:
        return EditionSerializer(edition_of(corp)).data

    class Meta:
        model = AuthorizedCorp
        fields = [
            "corpid",
            "corp_name",
            "corp_full_name",
            "edition_id",
            "edition_name",
            "app_status",
            "agentid",
            "auth_mode",
            "auth_scope",
            "status",
            "installed_at",
            "edition",
        ]


class MemberSerializer(FieldsOnce, serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "open_userid",
            "userid",
            "name",
            "avatar",
            "gender",
            "position",
            "departments",
            "is_admin",
        ]


class LicenseSerializer(FieldsOnce, serializers.Serializer):
    active = serializers.BooleanField(help_text=_("Whether the member holds a valid base account."))
    expire_time = serializers.DateTimeField(allow_null=True)


class MeSerializer(MemberSerializer):
    corp = CorpSerializer(read_only=True)
    license = serializers.SerializerMethodField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "corp", "license"]

    @extend_schema_field(LicenseSerializer)
    def get_license(self, member: Member) -> dict[str, Any]:
        code = member_license(member)
        held = {"active": code is not None, "expire_time": code.expires_at if code else None}
        return LicenseSerializer(held).data


class SSORequestSerializer(serializers.Serializer):
    suite_id = serializers.CharField(max_length=64)
    code = serializers.CharField(
        max_length=512, help_text=_("The OAuth2 code WeCom gave the page.")
    )
    corpid = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_("The customer's corp: required for a 代开发 template, ignored otherwise."),
    )


class SSOResponseSerializer(FieldsOnce, serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as: Authorization: Bearer <token>."))
    expires_at = serializers.DateTimeField()
    member = MeSerializer()


class JssdkQuerySerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2048, help_text=_("The page URL; a fragment is ignored."))


class WxConfigSerializer(FieldsOnce, serializers.Serializer):
    appId = serializers.CharField()
    timestamp = serializers.IntegerField()
    nonceStr = serializers.CharField()
    signature = serializers.CharField()


class AgentConfigSerializer(FieldsOnce, serializers.Serializer):
    corpid = serializers.CharField()
    agentid = serializers.IntegerField()
    timestamp = serializers.IntegerField()
    nonceStr = serializers.CharField()
    signature = serializers.CharField()


class JssdkConfigSerializer(FieldsOnce, serializers.Serializer):
    config = WxConfigSerializer()
    agentConfig = AgentConfigSerializer()
