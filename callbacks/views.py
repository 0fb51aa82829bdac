"""The three callback URLs the provider pastes into the WeCom console (SPEC §3)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from callbacks.receive import (
    CallbackURL,
    Rejected,
    command_url,
    data_url,
    open_post,
    query_params,
    read_body,
    system_url,
    verify_url,
)
from callbacks.services import event_store

log = logging.getLogger(__name__)


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def receive(request: HttpRequest, resolve: Callable[[], CallbackURL]) -> HttpResponse:
    try:
        url = resolve()
        if request.method == "GET":
            return _text(verify_url(url, query_params(request)))
        received = open_post(url, query_params(request), read_body(request))
    except Rejected as rejected:
        log.warning(
            "callback rejected",
            extra={"path": request.path, "status": rejected.status, "reason": rejected.reason},
        )
        return _text(rejected.reason, rejected.status)
    try:
        event_id, created = event_store(url=url, received=received)
    except DatabaseError as error:
        # Not stored, so not acknowledged: WeCom delivers it again.
        log.error(
            "callback not stored", extra={"path": request.path, "error": type(error).__name__}
        )
        return _text(_("The event could not be stored; try again."), 503)
    log.info(
        "callback stored" if created else "callback redelivered",
        extra={"event_id": event_id, "kind": received.event.kind, "receiver": url.receiver},
    )
    # Data callbacks may answer with an (encrypted) reply message; an empty body is "no reply".
    return _text("" if url.receiver == "data" else "success")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def command_callback(request: HttpRequest, suite_id: str) -> HttpResponse:
    return receive(request, lambda: command_url(suite_id))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def data_callback(request: HttpRequest, suite_id: str) -> HttpResponse:
    return receive(request, lambda: data_url(suite_id))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def system_callback(request: HttpRequest, provider_corpid: str) -> HttpResponse:
    return receive(request, lambda: system_url(provider_corpid))
