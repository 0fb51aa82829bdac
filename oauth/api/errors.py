"""One error body for every failure: ``{"detail": "...", "code": "...", "errors": {...}}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tokens.services import CorpCancelledError
from wecom.client import WeComError


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Per-field messages, when invalid.")


def _body(detail: str, code: str, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": str(detail), "code": code}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, CorpCancelledError):
        detail = _("Your corp's authorization of this app was cancelled.")
        return Response(_body(detail, "authorization_cancelled"), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, WeComError):
        detail = _("WeCom could not complete the request. Please try again.")
        return Response(_body(detail, "upstream_error"), status=status.HTTP_502_BAD_GATEWAY)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body(_("The request is not valid."), "invalid", response.data)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = _body(detail, str(code))
    return response
