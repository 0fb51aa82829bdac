"""One error body for every failure: ``{"detail": "...", "code": "...", "errors": {...}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tokens.refusals import refusal_for

log = logging.getLogger(__name__)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer. Its ``errors`` field is added in get_fields: declared
    on the class it would hide Serializer.errors."""

    detail = serializers.CharField()
    code = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(
            required=False, help_text="Per-field messages, when invalid."
        )
        return fields


def _body(detail: str, code: str, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": str(detail), "code": code}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    refusal = refusal_for(exc)
    if refusal is not None:
        log.warning("api request refused", extra={"status": refusal.status, "code": refusal.code})
        return Response(_body(refusal.detail, refusal.code), status=refusal.status)
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


def document_unsupported_media_type(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation that takes a body answers 415
    (``unsupported_media_type``) to a body in a type its parsers do not read, as DRF does
    before the view runs; the schema says so, so clients and schemathesis expect it."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("415", {"content": error, "description": ""})
    return result
