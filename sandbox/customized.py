"""代开发 (customized) apps in the sandbox: the corp token from gettoken with the permanent code
as the corp secret; auth/getuserinfo and auth/getuserdetail (in sandbox.api, beside their
third-party twins) refuse third-party apps and service/get_corp_token refuses 代开发 templates,
as WeCom does."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call
    from sandbox.config import SuiteConfig
    from sandbox.engine import Authorization, Sandbox


def customized_authorization(call: Call, corpid: str, secret: str) -> Authorization:
    """The active 代开发 install whose permanent code is ``secret``."""
    for (suite_id, c), authorization in call.sandbox.authorizations.items():
        suite = call.sandbox.config.suite(suite_id)
        customized = suite is not None and suite.customized
        matches = secrets.compare_digest(authorization.permanent_code, secret)
        if c == corpid and authorization.active and customized and matches:
            return authorization
    raise ApiError(40001, "invalid credential: corpsecret")


def gettoken(call: Call) -> dict[str, Any]:
    corpid, secret = call.query.get("corpid", ""), call.query.get("corpsecret", "")
    if not corpid:
        raise ApiError(41002, "corpid missing")
    if not secret:
        raise ApiError(41004, "corpsecret missing")
    with call.sandbox.lock:
        authorization = customized_authorization(call, corpid, secret)
        credential = call.sandbox.issue_credential("corp", (authorization.suite_id, corpid))
    lifetime = int(credential.expires_at - call.sandbox.now())
    return {"access_token": credential.value, "expires_in": lifetime}


def suite_of_agent(sandbox: Sandbox, corpid: str, agentid: str | None) -> SuiteConfig | None:
    """The 代开发 template installed in ``corpid`` as ``agentid`` (a 代开发 OAuth link names the
    corp and the app, not the template)."""
    for (suite_id, c), authorization in sandbox.authorizations.items():
        suite = sandbox.config.suite(suite_id)
        if (c == corpid and authorization.active and suite is not None and suite.customized
                and str(authorization.agentid) == str(agentid)):  # fmt: skip
            return suite
    return None


LINK_LIFETIME = 10 * 86400  # a customized authorization QR code lasts 10 days
_STATE = re.compile(r"[A-Za-z0-9_-]{0,32}")


def get_customized_auth_url(call: Call) -> dict[str, Any]:
    """A QR code link at which a corp's admin authorizes the 代开发 templates named."""
    templates = call.body.get("templateid_list") or []
    if not isinstance(templates, list) or not templates:
        raise ApiError(40058, "templateid_list is empty")
    for template in templates:
        suite = call.sandbox.config.suite(str(template))
        if suite is None or not suite.customized:
            raise ApiError(40058, f"invalid templateid {template}")
    state = str(call.body.get("state", ""))
    if not _STATE.fullmatch(state):
        raise ApiError(40058, "state: up to 32 letters, digits, - and _")
    payload = {"templates": [str(t) for t in templates], "state": state}
    code = call.sandbox.issue_code("customized_auth", payload, LINK_LIFETIME)
    url = f"{call.sandbox.public_url}/3rdapp/customized_install?code={code}"
    return {"qrcode_url": url, "expires_in": LINK_LIFETIME}


def refuse_third_party(call: Call) -> None:
    """auth/getuserinfo and auth/getuserdetail with a corp token are for 代开发 (and self-built)
    apps; a third-party app signs members in with its suite token."""
    suite = call.sandbox.config.suite(call.suite_id)
    if suite is None or not suite.customized:
        raise ApiError(48001, "api forbidden: third-party apps use getuserinfo3rd")


def refuse_customized(call: Call, suite_id: str) -> None:
    """service/get_corp_token is for third-party apps; a 代开发 corp token comes from gettoken."""
    suite = call.sandbox.config.suite(suite_id)
    if suite is not None and suite.customized:
        raise ApiError(48001, "api forbidden: a 代开发 corp token comes from gettoken")
