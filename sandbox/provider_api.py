"""The sandbox's endpoints that take the provider_access_token: the admin's QR login, register
codes and their outcome, and corpid conversion."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.engine import REGISTER_CODE_LIFETIME, REGISTER_INFO_LIFETIME, RegisterCode
from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call

_STATE = re.compile(r"[A-Za-z0-9]{0,128}")


def get_login_info(call: Call) -> dict[str, Any]:
    code = call.sandbox.consume_code(
        "login_code", call.field("auth_code", 41008), invalid=40029, expired=42003
    )
    corp = call.sandbox.corp(code.payload["corpid"])
    member = corp.members.get(code.payload["userid"]) if corp else None
    if corp is None or member is None:
        raise ApiError(40029, "invalid auth_code")
    usertype = corp.usertype(member.userid)
    is_admin = usertype != 5
    answer: dict[str, Any] = {
        "usertype": usertype,
        "user_info": {
            "userid": member.userid,
            "open_userid": member.userid,
            "name": member.name,
            "avatar": member.avatar,
        },
        "corp_info": {"corpid": corp.corpid},
    }
    if is_admin:
        agents = [
            {"agentid": a.agentid, "auth_type": 1}
            for a in call.sandbox.authorizations.values()
            if a.corpid == corp.corpid and a.active
        ]
        answer.update(agent=agents, auth_info={"department": [{"id": 1, "writable": True}]})
    return answer


def get_register_code(call: Call) -> dict[str, Any]:
    template_id = call.field("template_id", 84019)
    suite = next(
        (s for s in call.sandbox.config.suites if template_id in s.register_templates), None
    )
    if suite is None:
        raise ApiError(84020, "templateid not found")
    state = str(call.body.get("state", ""))
    if not _STATE.fullmatch(state):
        raise ApiError(84025, "invalid state")
    code = call.sandbox.issue_code("register_code", {}, REGISTER_CODE_LIFETIME)
    call.sandbox.register_codes[code] = RegisterCode(
        code=code,
        template_id=template_id,
        suite_id=suite.suite_id,
        state=state,
        corp_name=str(call.body.get("corp_name", "")),
        admin_name=str(call.body.get("admin_name", "")),
        admin_mobile=str(call.body.get("admin_mobile", "")),
        created_at=call.sandbox.now(),
    )
    return {"register_code": code, "expires_in": REGISTER_CODE_LIFETIME}


def get_register_info(call: Call) -> dict[str, Any]:
    registration = call.sandbox.register_codes.get(call.field("register_code", 84021))
    if (
        registration is None
        or not registration.corpid
        or call.sandbox.now() - registration.created_at > REGISTER_INFO_LIFETIME
    ):
        raise ApiError(84024, "no registration info")
    return {
        "corpid": registration.corpid,
        "auth_user_info": {"userid": registration.admin_userid},
        "state": registration.state,
        "template_id": registration.template_id,
    }


def corpid_to_opencorpid(call: Call) -> dict[str, Any]:
    plain = call.field("corpid", 40013)
    corp = next((c for c in call.sandbox.corps.values() if c.plain_corpid == plain), None)
    related = corp is not None and any(
        a.corpid == corp.corpid for a in call.sandbox.authorizations.values()
    )
    if not related:
        raise ApiError(48001, "api forbidden: no authorization relationship")
    assert corp is not None
    return {"open_corpid": corp.corpid}
