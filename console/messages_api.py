"""Messaging for the ISV's backends (issue 16): send any app message WeCom takes, recall it,
update a template card, upload media — for one corp, as its app, with the same token handling
and per-corp rate limit as the relay. WeCom's refusals come back with its errcode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from console.api import ERRORS, declared_length
from console.credentials_api import OwnerView
from corps.models import AuthorizedCorp
from oauth.api.errors import ErrorSerializer
from tokens.refusals import Refused
from tokens.relay import minute_budget
from tokens.services import corp_api
from wecom.client import (
    RateLimitedError,
    SystemBusyError,
    TokenInvalidError,
    WeComAPIError,
)
from wecom.client.corp import MESSAGE_TYPES
from wecom.client.media import CORP_MEDIA, MB, media_problem

T = TypeVar("T")
LIMITED = {**ERRORS, 413: ErrorSerializer, 429: ErrorSerializer}  # body, media or rate limits
LARGEST_UPLOAD = max(limit.largest for limit in CORP_MEDIA.values()) + 64 * 1024


def refused_by_wecom(call: Callable[[], T]) -> T:
    """WeCom's business refusals (no such user, a message too long…) are the caller's to fix:
    400 with WeCom's errcode. Token, rate and availability failures keep their own answers."""
    try:
        return call()
    except (TokenInvalidError, RateLimitedError, SystemBusyError):
        raise
    except WeComAPIError as error:
        raise Refused(
            400,
            _("WeCom refused: %(errmsg)s (errcode %(errcode)s).")
            % {"errmsg": error.errmsg.split(",")[0], "errcode": error.errcode},
            "wecom_refused",
        ) from None


class SendAnswer(serializers.Serializer):
    msgid = serializers.CharField()
    invaliduser = serializers.ListField(child=serializers.CharField())
    invalidparty = serializers.ListField(child=serializers.CharField())
    invalidtag = serializers.ListField(child=serializers.CharField())
    unlicenseduser = serializers.ListField(child=serializers.CharField())
    response_code = serializers.CharField(required=False)


class MediaAnswer(serializers.Serializer):
    type = serializers.CharField()
    media_id = serializers.CharField()
    created_at = serializers.IntegerField()


class CorpAppView(OwnerView):
    def corp(self, ident: str) -> AuthorizedCorp:
        _owner, _suite, corp = self.owner(ident)
        assert corp is not None
        return corp

    def wecom_body(self, request: Request) -> dict[str, Any]:
        if not isinstance(request.data, dict):
            raise Refused(400, _("The body must be a JSON object, as WeCom takes it."), "invalid")
        return dict(request.data)


class Messages(CorpAppView):
    @extend_schema(request=dict, responses={200: SendAnswer, **LIMITED})
    def post(self, request: Request, ident: str) -> Response:
        """WeCom's message/send body; agentid is the corp's app (whatever the body says)."""
        corp = self.corp(ident)
        body = self.wecom_body(request)
        msgtype = body.get("msgtype")
        if msgtype not in MESSAGE_TYPES or not isinstance(body.get(msgtype), dict):
            raise Refused(
                400,
                _("msgtype must be one of %(types)s, with its content under that name.")
                % {"types": ", ".join(MESSAGE_TYPES)},
                "invalid",
            )
        if not any(body.get(k) for k in ("touser", "toparty", "totag")):
            raise Refused(400, _("Name at least one of touser, toparty, totag."), "invalid")
        body["agentid"] = corp.agentid
        minute_budget(corp, "message/send")
        sent = refused_by_wecom(lambda: corp_api(corp).message_send(body))
        answer: dict[str, Any] = {
            "msgid": sent.msgid, "invaliduser": list(sent.invalid_users),
            "invalidparty": list(sent.invalid_parties), "invalidtag": list(sent.invalid_tags),
            "unlicenseduser": list(sent.unlicensed_users),
        }  # fmt: skip
        if sent.response_code:
            answer["response_code"] = sent.response_code
        return Response(answer)


class Recall(CorpAppView):
    @extend_schema(request=None, responses={204: None, **LIMITED})
    def post(self, request: Request, ident: str, msgid: str) -> Response:
        corp = self.corp(ident)
        minute_budget(corp, "message/recall")
        refused_by_wecom(lambda: corp_api(corp).message_recall(msgid=msgid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateCardUpdate(CorpAppView):
    @extend_schema(request=dict, responses={200: dict, **LIMITED})
    def post(self, request: Request, ident: str) -> Response:
        """WeCom's update_template_card body (response_code, userids…, template_card or button)."""
        corp = self.corp(ident)
        body = {**self.wecom_body(request), "agentid": corp.agentid}
        minute_budget(corp, "message/update_template_card")
        invalid = refused_by_wecom(lambda: corp_api(corp).update_template_card(body))
        return Response({"invaliduser": list(invalid)})


def media_refusal(media_type: str, errcode: int) -> Refused:
    """WeCom's media limits, said in the reader's language."""
    limit = CORP_MEDIA.get(media_type)
    if limit is None:
        detail = _("type must be one of: %(types)s.") % {"types": ", ".join(CORP_MEDIA)}
    elif errcode == 44001:
        detail = _("The file is empty: WeCom takes more than 5 bytes.")
    elif errcode == 40005:
        detail = _("A %(type)s must be a %(extensions)s file.") % {
            "type": media_type, "extensions": " / ".join(limit.extensions)}  # fmt: skip
    else:
        detail = _("A %(type)s is at most %(mb)d MB.") % {
            "type": media_type, "mb": limit.largest // MB}  # fmt: skip
        return Refused(413, detail, "media_too_large")
    return Refused(400, detail, "invalid_media")


class MediaUpload(CorpAppView):
    parser_classes = [MultiPartParser]

    @extend_schema(request=dict, responses={201: MediaAnswer, **LIMITED})
    def post(self, request: Request, ident: str) -> Response:
        """Multipart: ``type`` (image, voice, video, file) and the file as ``media``; WeCom's
        type and size limits are checked before anything is sent."""
        if declared_length(request) > LARGEST_UPLOAD:
            raise Refused(413, _("WeCom takes files of 20 MB at most."), "media_too_large")
        corp = self.corp(ident)
        upload = request.FILES.get("media")
        if upload is None:
            raise Refused(400, _("Send the file as the multipart field media."), "invalid")
        media_type = str(request.data.get("type", ""))
        if problem := media_problem(media_type, upload.name or "", upload.size or 0):
            raise media_refusal(media_type, problem[0])
        minute_budget(corp, "media/upload")
        content = upload.read()
        uploaded = refused_by_wecom(
            lambda: corp_api(corp).media_upload(
                media_type=media_type, filename=upload.name or "media", content=content
            )
        )
        answer = {"type": uploaded.type, "media_id": uploaded.media_id,
                  "created_at": uploaded.created_at}  # fmt: skip
        return Response(answer, status=status.HTTP_201_CREATED)
