"""The WeCom relay (issue 16): the ISV's backends call a corp's qyapi endpoints through the
platform, which injects the corp's token, refreshes it once if WeCom rejects it, keeps to WeCom's
per-corp rate limit, and hands back WeCom's answer unchanged."""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp
from tokens.client import wecom_client
from tokens.models import Credential
from tokens.refusals import Refused
from tokens.services import credential_get, credential_invalidate
from wecom.client.errors import is_token_error

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
PATH = re.compile(r"[a-z0-9_]+(/[a-z0-9_]+)*")
# Never relayed, whatever an allow-list says: the suite's and provider's endpoints, and token and
# ticket endpoints (the central credential API serves those).
FORBIDDEN = ("service/*", "gettoken", "get_jsapi_ticket", "ticket/*", "get_provider_token")


@dataclass(frozen=True)
class Relayed:
    status: int
    body: bytes
    content_type: str


def path_refusal(path: str, allowed: Iterable[str]) -> Refused | None:
    if not PATH.fullmatch(path):
        return Refused(400, _("Give a qyapi path under /cgi-bin/, like user/get."), "invalid_path")
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in FORBIDDEN):
        return Refused(
            403, _("Suite, provider and token endpoints are not relayed."), "path_not_allowed"
        )
    if not any(fnmatch.fnmatchcase(path, pattern) for pattern in allowed):
        return Refused(
            403, _("This service account may not call %(path)s.") % {"path": path},
            "path_not_allowed",
        )  # fmt: skip
    return None


def minute_budget(corp: AuthorizedCorp, path: str) -> None:
    """WeCom allows a corp RELAY_PER_CORP_API_PER_MINUTE calls of one API a minute (10,000);
    past it, or while WeCom has just answered 45009, the call is refused here, unsent."""
    key = f"relay:{corp.pk}:{path}:{int(time.time() // 60)}"
    if not cache.get(_resting(corp, path)):
        cache.add(key, 0, 120)
        if cache.incr(key) <= settings.RELAY_PER_CORP_API_PER_MINUTE:
            return
    raise Refused(429, _("WeCom rate-limits this API for this corp; try again in a minute."),
                  "rate_limited")  # fmt: skip


def _resting(corp: AuthorizedCorp, path: str) -> str:
    """The cache key that holds an API back for a corp for a minute after WeCom's 45009."""
    return f"relay-blocked:{corp.pk}:{path}"


def _errcode(response: requests.Response) -> int | None:
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("errcode") if isinstance(data, dict) else None
    return code if isinstance(code, int) else None


def relay(
    *, corp: AuthorizedCorp, method: str, path: str, query: Mapping[str, str], body: bytes
) -> Relayed:
    """One call to WeCom for ``corp`` (a second after a rejected token). The caller's own
    access_token parameter, if any, is replaced."""
    minute_budget(corp, path)
    client = wecom_client()
    url = client.transport.base_url + path
    params = {k: v for k, v in query.items() if k != "access_token"}
    headers = {"Content-Type": "application/json"} if body else {}
    for attempt in (1, 2):
        token = credential_get(kind=Credential.Kind.CORP, owner=corp)
        try:
            response = client.transport.session.request(
                method, url, params={**params, "access_token": token}, data=body or None,
                headers=headers, timeout=client.transport.timeout,
            )  # fmt: skip
        except requests.RequestException as error:
            log.warning("relay failed", extra={"corpid": corp.corpid, "path": path,
                                               "error": type(error).__name__})  # fmt: skip
            raise Refused(502, _("WeCom did not answer."), "wecom_unavailable") from None
        errcode = _errcode(response)
        if errcode is not None and is_token_error(errcode) and attempt == 1:
            credential_invalidate(kind=Credential.Kind.CORP, owner=corp, failed_value=token)
            continue
        if errcode == 45009:
            cache.set(_resting(corp, path), True, 60)
        content_type = response.headers.get("Content-Type", "application/json")
        return Relayed(response.status_code, response.content, content_type)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def json_body(raw: bytes) -> bytes:
    """A POST body is passed through as it is, if it is JSON; empty stays empty."""
    if raw.strip():
        try:
            json.loads(raw)
        except ValueError:
            raise Refused(
                400, _("The body must be JSON, as WeCom's APIs take."), "invalid"
            ) from None
    return raw
