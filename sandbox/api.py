"""The qyapi endpoints the portal uses, at WeCom's paths with WeCom's fields and errcodes.

``ENDPOINTS`` maps each path under /cgi-bin/ to its handler and the token it takes; ``dispatch``
applies what every call shares: injected faults, token checks, the per-corp rate limit and the
call log.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox import (
    corp_api,
    customized,
    editions,
    id_api,
    identity_api,
    license_api,
    media,
    provider_api,
    register_sync,
)
from sandbox.engine import (
    PRE_AUTH_CODE_LIFETIME,
    ApiError,
    Authorization,
    Credential,
    DropConnection,
    Sandbox,
)
from sandbox.world import Corp


@dataclass(frozen=True)
class TokenScheme:
    """Where a token travels and how WeCom answers when it is missing, wrong or expired."""

    param: str
    kinds: tuple[str, ...]
    missing: int
    invalid: int
    expired: int


SUITE = TokenScheme("suite_access_token", ("suite",), 41022, 40082, 42009)
SUITE_AS_ACCESS_TOKEN = TokenScheme("access_token", ("suite",), 41022, 40082, 42009)
PROVIDER = TokenScheme("provider_access_token", ("provider",), 41001, 40014, 42001)
PROVIDER_AS_ACCESS_TOKEN = TokenScheme("access_token", ("provider",), 41001, 40014, 42001)
CORP = TokenScheme("access_token", ("corp",), 41001, 40014, 42001)
CONTACT_SYNC = TokenScheme("access_token", (register_sync.KIND,), 41001, 40014, 42001)


@dataclass
class Call:
    sandbox: Sandbox
    query: Mapping[str, str]
    body: dict[str, Any]
    credential: Credential | None
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)  # multipart uploads

    @property
    def suite_id(self) -> str:
        assert self.credential is not None
        return self.credential.owner[0]

    @property
    def corpid(self) -> str:
        assert self.credential is not None and len(self.credential.owner) == 2
        return self.credential.owner[1]

    def field(self, name: str, missing: int) -> str:
        value = self.body.get(name)
        if value in (None, ""):
            raise ApiError(missing, f"missing {name}")
        return str(value)

    def authorization(self) -> Authorization:
        authorization = self.sandbox.active_authorization(self.suite_id, self.corpid)
        if authorization is None:
            raise ApiError(48004, "authorization has been cancelled")
        return authorization

    def corp(self) -> Corp:
        corp = self.sandbox.corp(self.corpid)
        if corp is None:
            raise ApiError(40013, "invalid corpid")
        return corp


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    handler: Handler
    token: TokenScheme | None
    corp_scoped: bool = False  # the corp is the token's (a corp token)
    corp_field: str = "auth_corpid"  # otherwise the body field naming the corp, if any


# --- token endpoints ---------------------------------------------------------------------------


def get_provider_token(call: Call) -> dict[str, Any]:
    provider = call.sandbox.config.provider
    if call.body.get("corpid") != provider.corpid:
        raise ApiError(40013, "invalid corpid")
    secret = call.field("provider_secret", 41004)
    if not secrets.compare_digest(secret, provider.secret):
        raise ApiError(40001, "invalid secret")
    owner = (provider.corpid,)
    credential = call.sandbox.current_credential("provider", owner)
    credential = credential or call.sandbox.issue_credential("provider", owner)
    remaining = int(credential.expires_at - call.sandbox.now())
    return {"provider_access_token": credential.value, "expires_in": remaining}


def get_suite_token(call: Call) -> dict[str, Any]:
    suite_id = call.field("suite_id", 41021)
    secret = call.field("suite_secret", 41024)
    ticket = call.field("suite_ticket", 41023)
    suite = call.sandbox.config.suite(suite_id)
    if suite is None:
        raise ApiError(40083, "invalid suite_id")
    if not secrets.compare_digest(secret, suite.secret):
        raise ApiError(40080, "invalid suite_secret")
    if not call.sandbox.ticket_is_valid(suite_id, ticket):
        raise ApiError(40085, "invalid suite_ticket")
    credential = call.sandbox.issue_credential("suite", (suite_id,))
    return {"suite_access_token": credential.value, "expires_in": call.sandbox.token_lifetime}


# --- suite_access_token endpoints --------------------------------------------------------------


def get_pre_auth_code(call: Call) -> dict[str, Any]:
    payload = {"suite_id": call.suite_id, "auth_type": 0}
    code = call.sandbox.issue_code("pre_auth_code", payload, PRE_AUTH_CODE_LIFETIME)
    return {"pre_auth_code": code, "expires_in": PRE_AUTH_CODE_LIFETIME}


def set_session_info(call: Call) -> dict[str, Any]:
    code = call.sandbox.find_code(
        "pre_auth_code", call.field("pre_auth_code", 40077), invalid=40077, expired=42007
    )
    if code.payload["suite_id"] != call.suite_id:
        raise ApiError(40077, "invalid pre_auth_code")
    auth_type = (call.body.get("session_info") or {}).get("auth_type", 0)
    if auth_type not in (0, 1):
        raise ApiError(40058, "invalid auth_type")
    code.payload["auth_type"] = auth_type
    return {}


def _agent(call: Call, authorization: Authorization) -> dict[str, Any]:
    suite = call.sandbox.config.suite(authorization.suite_id)
    return {
        "agentid": authorization.agentid,
        "name": suite.name if suite else authorization.suite_id,
        "round_logo_url": "",
        "square_logo_url": "",
        "auth_mode": 0,
        "is_customized_app": authorization.suite_id.startswith("dk"),
        "privilege": {
            "level": 1,
            "allow_party": [1],
            "allow_user": [],
            "allow_tag": [],
            "extra_party": [],
            "extra_user": [],
            "extra_tag": [],
        },
    }


def _auth_info(call: Call, authorization: Authorization, corp: Corp) -> dict[str, Any]:
    return {
        "auth_corp_info": corp.auth_corp_info(),
        "auth_info": {"agent": [_agent(call, authorization)]},
        "edition_info": {
            "agent": [
                {
                    "agentid": authorization.agentid,
                    "edition_id": authorization.edition_id,
                    "edition_name": authorization.edition_name,
                    "app_status": authorization.app_status,
                    "user_limit": authorization.user_limit,
                    "expired_time": int(authorization.edition_expires),
                    "is_virtual_version": False,
                    "is_shared_from_other_corp": False,
                }
            ]
        },
    }


def _installer(call: Call, authorization: Authorization, corp: Corp) -> dict[str, Any]:
    admin = corp.members[corp.admin_userid]
    return {
        "userid": admin.userid,
        "open_userid": call.sandbox.open_userid(authorization.suite_id, corp.corpid, admin.userid),
        "name": admin.name,
        "avatar": admin.avatar,
    }


def _permanent_code(call: Call, *, full: bool) -> dict[str, Any]:
    code = call.sandbox.consume_code(
        "auth_code", call.field("auth_code", 41008), invalid=40078, expired=40078
    )
    if code.payload["suite_id"] != call.suite_id:
        raise ApiError(40078, "invalid auth_code")
    authorization = call.sandbox.active_authorization(call.suite_id, code.payload["corpid"])
    corp = call.sandbox.corp(code.payload["corpid"])
    if authorization is None or corp is None:
        raise ApiError(40078, "invalid auth_code")
    answer: dict[str, Any] = {
        "permanent_code": authorization.permanent_code,
        "auth_corp_info": {"corpid": corp.corpid, "corp_name": corp.name},
        "auth_user_info": _installer(call, authorization, corp),
        "state": authorization.state,
    }
    registration = call.sandbox.register_codes.get(authorization.register_code)
    if registration is not None:
        answer["register_code_info"] = {
            "register_code": registration.code,
            "template_id": registration.template_id,
            "state": registration.state,
        }
    if full:
        token = call.sandbox.issue_credential("corp", (call.suite_id, corp.corpid))
        answer.update(_auth_info(call, authorization, corp))
        answer.update(access_token=token.value, expires_in=call.sandbox.token_lifetime)
    return answer


def get_permanent_code(call: Call) -> dict[str, Any]:
    return _permanent_code(call, full=True)


def get_permanent_code_v2(call: Call) -> dict[str, Any]:
    return _permanent_code(call, full=False)


def _authorized(call: Call) -> tuple[Authorization, Corp]:
    corpid = call.field("auth_corpid", 40013)
    authorization = call.sandbox.authorization_for(
        call.suite_id, corpid, call.field("permanent_code", 41025)
    )
    corp = call.sandbox.corp(corpid)
    assert corp is not None
    return authorization, corp


def get_auth_info(call: Call) -> dict[str, Any]:
    authorization, corp = _authorized(call)
    return _auth_info(call, authorization, corp)


def get_corp_token(call: Call) -> dict[str, Any]:
    customized.refuse_customized(call, call.suite_id)
    authorization, corp = _authorized(call)
    token = call.sandbox.issue_credential("corp", (authorization.suite_id, corp.corpid))
    return {"access_token": token.value, "expires_in": call.sandbox.token_lifetime}


def service_get_admin_list(call: Call) -> dict[str, Any]:
    corpid = call.field("auth_corpid", 40013)
    authorization = call.sandbox.active_authorization(call.suite_id, corpid)
    corp = call.sandbox.corp(corpid)
    if authorization is None or corp is None:
        raise ApiError(48004, "authorization has been cancelled")
    if str(call.body.get("agentid")) != str(authorization.agentid):
        raise ApiError(301002, "agentid does not belong to this suite")
    return corp_api.admins(call, call.suite_id, corp)


ENDPOINTS: dict[str, Endpoint] = {
    "service/get_provider_token": Endpoint(get_provider_token, None),
    "service/get_suite_token": Endpoint(get_suite_token, None),
    "service/get_pre_auth_code": Endpoint(get_pre_auth_code, SUITE),
    "service/set_session_info": Endpoint(set_session_info, SUITE),
    "service/get_permanent_code": Endpoint(get_permanent_code, SUITE),
    "service/v2/get_permanent_code": Endpoint(get_permanent_code_v2, SUITE),
    "service/get_auth_info": Endpoint(get_auth_info, SUITE),
    "service/v2/get_auth_info": Endpoint(get_auth_info, SUITE),
    "service/get_corp_token": Endpoint(get_corp_token, SUITE),
    "service/get_admin_list": Endpoint(service_get_admin_list, SUITE),
    "service/auth/getuserinfo3rd": Endpoint(identity_api.getuserinfo3rd, SUITE),
    "service/getuserinfo3rd": Endpoint(identity_api.getuserinfo3rd_legacy, SUITE_AS_ACCESS_TOKEN),
    "service/auth/getuserdetail3rd": Endpoint(identity_api.getuserdetail3rd, SUITE),
    "service/getuserdetail3rd": Endpoint(identity_api.getuserdetail3rd, SUITE_AS_ACCESS_TOKEN),
    "service/get_login_info": Endpoint(provider_api.get_login_info, PROVIDER_AS_ACCESS_TOKEN),
    "service/get_register_code": Endpoint(provider_api.get_register_code, PROVIDER),
    "service/get_register_info": Endpoint(provider_api.get_register_info, PROVIDER),
    "service/corpid_to_opencorpid": Endpoint(provider_api.corpid_to_opencorpid, PROVIDER),
    "service/get_customized_auth_url": Endpoint(customized.get_customized_auth_url, PROVIDER),
    "agent/get": Endpoint(corp_api.agent_get, CORP, corp_scoped=True),
    "agent/get_admin_list": Endpoint(corp_api.agent_get_admin_list, CORP, corp_scoped=True),
    "agent/get_permissions": Endpoint(corp_api.get_permissions, CORP, corp_scoped=True),
    "batch/userid_to_openuserid": Endpoint(corp_api.userid_to_openuserid, CORP, corp_scoped=True),
    "get_jsapi_ticket": Endpoint(corp_api.get_jsapi_ticket, CORP, corp_scoped=True),
    "ticket/get": Endpoint(corp_api.get_agent_config_ticket, CORP, corp_scoped=True),
    "user/get": Endpoint(corp_api.user_get, CORP, corp_scoped=True),
    "user/list": Endpoint(corp_api.user_list, CORP, corp_scoped=True),
    "user/simplelist": Endpoint(corp_api.user_simplelist, CORP, corp_scoped=True),
    "department/list": Endpoint(corp_api.department_list, CORP, corp_scoped=True),
    "message/send": Endpoint(corp_api.message_send, CORP, corp_scoped=True),
    "message/recall": Endpoint(corp_api.message_recall, CORP, corp_scoped=True),
    "message/update_template_card": Endpoint(corp_api.update_template_card, CORP, corp_scoped=True),
    "media/upload": Endpoint(media.corp_upload, CORP, corp_scoped=True),
    "getcallbackip": Endpoint(corp_api.getcallbackip, CORP, corp_scoped=True),
    "gettoken": Endpoint(customized.gettoken, None),
    "auth/getuserinfo": Endpoint(identity_api.auth_getuserinfo, CORP, corp_scoped=True),
    "auth/getuserdetail": Endpoint(identity_api.auth_getuserdetail, CORP, corp_scoped=True),
    **{path: Endpoint(handler, SUITE) for path, handler in editions.HANDLERS.items()},
    **{path: Endpoint(handler, CONTACT_SYNC) for path, handler in register_sync.HANDLERS.items()},
    **{
        path: Endpoint(handler, CORP, corp_scoped=True)
        for path, handler in id_api.CORP_HANDLERS.items()
    },
    **{path: Endpoint(handler, SUITE) for path, handler in id_api.SUITE_HANDLERS.items()},
    **{
        path: Endpoint(handler, PROVIDER, corp_field=field)
        for path, (handler, field) in id_api.PROVIDER_HANDLERS.items()
    },
    **{
        path: Endpoint(handler, PROVIDER, corp_field="corpid")
        for path, handler in license_api.HANDLERS.items()
    },
}


def error_body(sandbox: Sandbox, errcode: int, errmsg: str, remote_ip: str) -> dict[str, Any]:
    """WeCom's errmsg shape: the message, a hint, the caller's IP and the lookup link."""
    hint = f"{int(sandbox.now())}_{secrets.token_hex(4)}"
    return {
        "errcode": errcode,
        "errmsg": f"{errmsg}, hint: [{hint}], from ip: {remote_ip}, "
        f"more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}",
    }


TOKEN_ENDPOINTS = {"service/get_provider_token", "service/get_suite_token"}


def dispatch(
    sandbox: Sandbox,
    path: str,
    query: Mapping[str, str],
    raw_body: bytes,
    remote_ip: str,
    files: Mapping[str, tuple[str, bytes]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Answer one qyapi call: (HTTP status, JSON body). A multipart upload comes as ``files``
    with an empty body."""
    endpoint = ENDPOINTS.get(path)
    if endpoint is None:
        return 404, error_body(sandbox, 40058, f"unknown api path /cgi-bin/{path}", remote_ip)
    entry: dict[str, Any] = {"endpoint": path, "token_kind": None, "corpid": None}
    with sandbox.lock:
        sandbox.in_flight[path] += 1
    try:
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise ApiError(40058, "invalid parameter. Warning: wrong json format.") from None
        if not isinstance(body, dict):
            raise ApiError(40058, "invalid parameter. Warning: wrong json format.")
        with sandbox.lock:
            credential = None
            if endpoint.token is not None:
                credential = sandbox.check_credential(
                    query.get(endpoint.token.param),
                    endpoint.token.kinds,
                    missing=endpoint.token.missing,
                    invalid=endpoint.token.invalid,
                    expired=endpoint.token.expired,
                )
                entry["token_kind"] = credential.kind
            call = Call(sandbox, query, body, credential, files or {})
            corpid = call.corpid if endpoint.corp_scoped else str(body.get(endpoint.corp_field, ""))
            entry["corpid"] = corpid or None
        fault = sandbox.take_fault(path, corpid)
        if fault and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)  # outside the lock: other calls go on
        if fault and fault.http_status:
            entry["errcode"] = f"HTTP {fault.http_status}"
            return fault.http_status, {"error": "injected gateway error"}
        if fault and fault.errcode:
            raise ApiError(fault.errcode, "injected fault")
        with sandbox.lock:
            if corpid and sandbox.over_rate_limit(corpid, path):
                raise ApiError(45009, "api freq out of limit")
            answer = endpoint.handler(call)
        entry["errcode"] = 0
        if fault and fault.after_ms:
            entry["answered_late"] = True
            time.sleep(fault.after_ms / 1000)
        if fault and fault.drop:
            entry["errcode"] = "dropped"
            raise DropConnection()
        if path in TOKEN_ENDPOINTS:
            return 200, answer  # these omit errcode on success, as WeCom sometimes does
        return 200, {"errcode": 0, "errmsg": "ok", **answer}
    except ApiError as error:
        entry["errcode"] = error.errcode
        return 200, error_body(sandbox, error.errcode, error.errmsg, remote_ip)
    finally:
        with sandbox.lock:
            sandbox.in_flight[path] -= 1
        sandbox.record(sandbox.calls, entry)
