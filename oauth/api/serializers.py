from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from corps.models import AuthorizedCorp, Member


class CorpSerializer(serializers.ModelSerializer):
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
        ]


class MemberSerializer(serializers.ModelSerializer):
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


class MeSerializer(MemberSerializer):
    corp = CorpSerializer(read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "corp"]


class SSORequestSerializer(serializers.Serializer):
    suite_id = serializers.CharField(max_length=64)
    code = serializers.CharField(
        max_length=512, help_text=_("The OAuth2 code WeCom gave the page.")
    )


class SSOResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as: Authorization: Bearer <token>."))
    expires_at = serializers.DateTimeField()
    member = MeSerializer()


class JssdkQuerySerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2048, help_text=_("The page URL; a fragment is ignored."))


class WxConfigSerializer(serializers.Serializer):
    appId = serializers.CharField()
    timestamp = serializers.IntegerField()
    nonceStr = serializers.CharField()
    signature = serializers.CharField()


class AgentConfigSerializer(serializers.Serializer):
    corpid = serializers.CharField()
    agentid = serializers.IntegerField()
    timestamp = serializers.IntegerField()
    nonceStr = serializers.CharField()
    signature = serializers.CharField()


class JssdkConfigSerializer(serializers.Serializer):
    config = WxConfigSerializer()
    agentConfig = AgentConfigSerializer()
