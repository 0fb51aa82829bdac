"""The outermost doors: input no view can use is refused, and refusals are never 500s.

PostgreSQL refuses NUL in text, so a NUL in a path segment or a query parameter that reaches a
lookup would be a 500. No WeCom id, filter value or page path contains a control character.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tokens.refusals import refusal_for

log = logging.getLogger(__name__)


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
# A query string decodes to a control character exactly where it holds one or percent-encodes
# one: a byte below 0x80 decodes to itself in UTF-8 (and in the Latin-1 fallback), and
# percent-decoding is a single pass ("%250A" is the text "%0A").
_CONTROL_CHARACTER_IN_QUERY = re.compile(r"[\x00-\x1f\x7f]|%[01][0-9a-fA-F]|%7[fF]")


class RefuseControlCharactersMiddleware:
    """Checks the raw query string rather than ``request.GET``: building a QueryDict on every
    request cost 42 k of the 926 k instructions of a request to a no-op view
    (bench/instructions.py), and views that read no parameters never need one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if _CONTROL_CHARACTER.search(request.path) or _CONTROL_CHARACTER_IN_QUERY.search(query):
            detail = _("The address contains a control character.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail, "code": "invalid"}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class RefusalPageMiddleware:
    """A refusal raised by any page (a secret that does not decrypt, WeCom down, no
    suite_ticket…) is shown as a page with its reason and status; the REST API answers the same
    refusals itself, as JSON (oauth.api.errors)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        refusal = refusal_for(exception)
        if refusal is None:
            return None
        log.warning(
            "page refused",
            extra={"path": request.path, "status": refusal.status, "code": refusal.code},
        )
        context = {"title": _("This did not work"), "message": refusal.detail}
        return render(request, "oauth/result.html", context, status=refusal.status)
