"""The sandbox as one WSGI application: qyapi, browser pages, control page and control API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox import api, control, pages, webhook_inbox
from sandbox.config import SandboxConfig
from sandbox.engine import DropConnection, Sandbox
from sandbox.lifecycle import Lifecycle, LifecycleError
from sandbox.pusher import Pusher
from sandbox.rendering import ensure_django

BOTH = ["GET", "POST"]
URLS = Map(
    [
        Rule("/cgi-bin/<path:path>", endpoint="qyapi", methods=BOTH),
        Rule("/3rdapp/install", endpoint="install", methods=BOTH),
        Rule("/3rdapp/customized_install", endpoint="customized_install", methods=BOTH),
        Rule("/connect/oauth2/authorize", endpoint="authorize", methods=BOTH),
        Rule("/wwopen/sso/3rd_qrConnect", endpoint="provider_login", methods=BOTH),
        Rule("/3rdservice/wework/register", endpoint="register", methods=BOTH),
        Rule("/", endpoint="control_page"),
        Rule("/sandbox/act/<name>", endpoint="control_action", methods=["POST"]),
        Rule("/sandbox/api/state", endpoint="state"),
        Rule("/sandbox/translated/<jobid>", endpoint="translated"),
        Rule(webhook_inbox.PATH, endpoint="webhook_inbox", methods=BOTH),
        Rule("/sandbox/api/actions/<name>", endpoint="action", methods=["POST"]),
        Rule(
            "/sandbox/api/<any(calls, pushes, messages, webhooks):log>",
            endpoint="log",
            methods=["GET", "DELETE"],
        ),
    ]
)
LOG_FILTERS = {"calls": "endpoint", "pushes": "event", "messages": "corpid", "webhooks": "type"}


def browser_language(request: Request) -> str | None:
    """The first language of the browser's Accept-Language that the sandbox speaks, as WeCom's
    pages follow the browser; None keeps the configured LANGUAGE_CODE."""
    for language, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            continue
    return None


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json"
    )


class SandboxApp:
    def __init__(self, config: SandboxConfig) -> None:
        ensure_django()
        self.sandbox = Sandbox(config)
        self.pusher = Pusher(self.sandbox)
        self.lifecycle = Lifecycle(self.sandbox, self.pusher)
        self._views: dict[str, Callable[..., Response]] = {
            "qyapi": self.qyapi,
            "install": lambda request: pages.install(self.lifecycle, request),
            "customized_install": lambda request: pages.customized_install(self.lifecycle, request),
            "authorize": lambda request: pages.authorize(self.lifecycle, request),
            "provider_login": lambda request: pages.provider_login(self.lifecycle, request),
            "register": lambda request: pages.register(self.lifecycle, request),
            "control_page": lambda request: pages.control_page(self.lifecycle, request),
            "control_action": lambda request, name: pages.control_action(
                self.lifecycle, request, name
            ),
            "state": lambda request: json_response(control.snapshot(self.lifecycle)),
            "translated": self.translated,
            "webhook_inbox": lambda request: webhook_inbox.receive(self.sandbox, request),
            "action": self.action,
            "log": self.log,
        }

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, values = URLS.bind_to_environ(environ).match()
            with translation.override(browser_language(request)):
                response = self._views[endpoint](request, **values)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    def qyapi(self, request: Request, path: str) -> Response:
        uploads = request.mimetype == "multipart/form-data"
        try:
            status, body = api.dispatch(
                self.sandbox,
                path,
                request.args.to_dict(),
                b"" if uploads else request.get_data(),
                request.remote_addr or "127.0.0.1",
                files={n: (f.filename or n, f.read()) for n, f in request.files.items()}
                if uploads
                else None,
            )
        except DropConnection:
            # Promise more than is sent; the server then closes the connection mid-answer.
            response = Response(b'{"errcode": 0, "access', mimetype="application/json")
            response.headers["Content-Length"] = "4096"
            response.headers["Connection"] = "close"
            return response
        if self.sandbox.licenses.announce:  # paid from the balance: WeCom tells the portal later
            self.pusher.in_background(self.lifecycle.announce_payments)
        return json_response(body, status)

    def translated(self, request: Request, jobid: str) -> Response:
        """The file of a finished id_translate job (WeCom's is a PDF; this is its text)."""
        job = self.sandbox.jobs.get(jobid)
        if job is None:
            raise NotFound()
        return Response(job["text"], mimetype="text/plain")

    def action(self, request: Request, name: str) -> Response:
        data = request.get_json(force=True, silent=True)
        if data is None:
            data = request.form.to_dict()
        if not isinstance(data, dict):
            return json_response({"error": "the body must be a JSON object"}, 400)
        try:
            return json_response(control.run(self.lifecycle, name, data))
        except LifecycleError as error:
            return json_response({"error": str(error)}, 400)

    def log(self, request: Request, log: str) -> Response:
        entries: list[dict[str, Any]] = getattr(self.sandbox, log)
        with self.sandbox.lock:
            if request.method == "DELETE":
                entries.clear()
                return json_response({"cleared": log})
            wanted = request.args.get(LOG_FILTERS[log])
            selected = [e for e in entries if wanted is None or e.get(LOG_FILTERS[log]) == wanted]
        return json_response(selected)
