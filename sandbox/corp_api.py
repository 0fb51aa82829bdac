"""The sandbox's endpoints that take a corp access_token: admins, permissions, userid
conversion, JS-SDK tickets, contacts and message/send (API.md §2.15–§2.22)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sandbox import license_api
from sandbox.errors import ApiError
from sandbox.world import Corp
from wecom.client.corp import MESSAGE_TYPES

if TYPE_CHECKING:
    from sandbox.api import Call

MAX_USERIDS = 1000


def admins(call: Call, suite_id: str, corp: Corp) -> dict[str, Any]:
    admin = corp.admin_userid
    return {
        "admin": [
            {
                "userid": admin,
                "open_userid": call.sandbox.open_userid(suite_id, corp.corpid, admin),
                "auth_type": 1,
            }
        ]
    }


def agent_get_admin_list(call: Call) -> dict[str, Any]:
    call.authorization()
    return admins(call, call.suite_id, call.corp())


def agent_get(call: Call) -> dict[str, Any]:
    authorization = call.authorization()
    if call.query.get("agentid") != str(authorization.agentid):
        raise ApiError(40056, "invalid agentid")
    suite = call.sandbox.config.suite(authorization.suite_id)
    answer: dict[str, Any] = {
        "agentid": authorization.agentid,
        "name": suite.name if suite else authorization.suite_id,
        "square_logo_url": "",
        "description": "",
        "allow_userinfos": {"user": []},
        "allow_partys": {"partyid": [1]},
        "allow_tags": {"tagid": []},
        "close": int(authorization.closed),
        "redirect_domain": "",
        "report_location_flag": 0,
        "isreportenter": 0,
        "home_url": "",
    }
    if suite is not None and suite.customized:
        answer["customized_publish_status"] = authorization.publish_status
    return answer


def get_permissions(call: Call) -> dict[str, Any]:
    call.authorization()
    return {"app_permissions": ["contact:base:base", "contact:sensitive:avatar"]}


def userid_to_openuserid(call: Call) -> dict[str, Any]:
    userids = call.body.get("userid_list")
    if not isinstance(userids, list) or not userids or len(userids) > MAX_USERIDS:
        raise ApiError(40058, f"userid_list must hold 1..{MAX_USERIDS} userids")
    corp = call.corp()
    known = [str(u) for u in userids if str(u) in corp.members]
    return {
        "open_userid_list": [
            {"userid": u, "open_userid": call.sandbox.open_userid(call.suite_id, corp.corpid, u)}
            for u in known
        ],
        "invalid_userid_list": [str(u) for u in userids if str(u) not in corp.members],
    }


def _ticket(call: Call, kind: str) -> dict[str, Any]:
    call.authorization()
    assert call.credential is not None
    credential = call.sandbox.issue_credential(kind, call.credential.owner)
    return {"ticket": credential.value, "expires_in": call.sandbox.token_lifetime}


def get_jsapi_ticket(call: Call) -> dict[str, Any]:
    return _ticket(call, "jsapi")


def get_agent_config_ticket(call: Call) -> dict[str, Any]:
    if call.query.get("type") != "agent_config":
        raise ApiError(40058, "invalid ticket type")
    return _ticket(call, "agent_config")


def _member_json(call: Call, corp: Corp, userid: str) -> dict[str, Any]:
    member = corp.members[userid]
    return member.as_json(call.sandbox.open_userid(call.suite_id, corp.corpid, userid))


def user_get(call: Call) -> dict[str, Any]:
    corp = call.corp()
    member = call.sandbox.member_by_any_id(call.suite_id, corp, call.query.get("userid", ""))
    if member is None:
        raise ApiError(60111, "userid not found")
    return _member_json(call, corp, member.userid)


def _department_ids(corp: Corp, root: int, recursive: bool) -> set[int]:
    ids = {root}
    if recursive:
        frontier = [root]
        while frontier:
            parent = frontier.pop()
            children = [d.id for d in corp.departments.values() if d.parentid == parent]
            ids.update(children)
            frontier.extend(children)
    return ids


def _users(call: Call, *, simple: bool) -> dict[str, Any]:
    corp = call.corp()
    try:
        department = int(call.query.get("department_id", ""))
    except ValueError:
        raise ApiError(40058, "invalid department_id") from None
    if department not in corp.departments:
        raise ApiError(60003, "department not found")
    wanted = _department_ids(corp, department, call.query.get("fetch_child") == "1")
    users = []
    for userid, member in corp.members.items():
        if wanted & set(member.departments):
            full = _member_json(call, corp, userid)
            keys = ("userid", "name", "department", "open_userid")
            users.append({k: full[k] for k in keys} if simple else full)
    return {"userlist": users}


def user_list(call: Call) -> dict[str, Any]:
    return _users(call, simple=False)


def user_simplelist(call: Call) -> dict[str, Any]:
    return _users(call, simple=True)


def department_list(call: Call) -> dict[str, Any]:
    corp = call.corp()
    root = call.query.get("id")
    wanted = set(corp.departments) if not root else _department_ids(corp, int(root), True)
    return {"department": [d.as_json() for d in corp.departments.values() if d.id in wanted]}


RECALL_WINDOW = 24 * 3600


def message_send(call: Call) -> dict[str, Any]:
    authorization = call.authorization()
    if str(call.body.get("agentid")) != str(authorization.agentid):
        raise ApiError(301002, "access_token has no privilege for this agentid")
    msgtype = str(call.body.get("msgtype", ""))
    if msgtype not in MESSAGE_TYPES:
        raise ApiError(40008, "invalid message type")
    if not isinstance(call.body.get(msgtype), dict):
        raise ApiError(41011 if msgtype == "text" else 40058, f"missing {msgtype}")
    touser, toparty = str(call.body.get("touser", "")), str(call.body.get("toparty", ""))
    if not (touser or toparty or call.body.get("totag")):
        raise ApiError(82001, "all recipients are empty")
    corp = call.corp()
    users = [u for u in touser.split("|") if u]
    if users == ["@all"]:
        users = list(corp.members)
    known = [
        m.userid for u in users if (m := call.sandbox.member_by_any_id(call.suite_id, corp, u))
    ]
    invalid = [u for u in users if call.sandbox.member_by_any_id(call.suite_id, corp, u) is None]
    if users and not known and not toparty:
        raise ApiError(81013, "all recipients are invalid")
    unlicensed = [
        call.sandbox.open_userid(call.suite_id, corp.corpid, u)
        for u in known
        if not license_api.licensed(call.sandbox, authorization, u)
    ]
    known = [u for u in known if license_api.licensed(call.sandbox, authorization, u)]
    msgid = secrets.token_hex(16)
    call.sandbox.record(
        call.sandbox.messages,
        {
            "corpid": corp.corpid,
            "agentid": authorization.agentid,
            "touser": known,
            "toparty": toparty,
            "msgtype": msgtype,
            "content": (call.body.get("text") or {}).get("content", ""),
            "body": call.body.get(msgtype),
            "msgid": msgid,
            "recalled": False,
        },
    )
    answer = {"response_code": secrets.token_hex(12)} if msgtype == "template_card" else {}
    return {
        **answer,
        "invaliduser": "|".join(invalid),
        "invalidparty": "",
        "invalidtag": "",
        "unlicenseduser": "|".join(unlicensed),
        "msgid": msgid,
    }


def message_recall(call: Call) -> dict[str, Any]:
    msgid = call.field("msgid", 40058)
    sent = next((m for m in call.sandbox.messages if m.get("msgid") == msgid), None)
    if sent is None or sent["corpid"] != call.corpid:
        raise ApiError(40058, "invalid msgid")
    if call.sandbox.now() - sent["time"] > RECALL_WINDOW:
        raise ApiError(42052, "message can only be recalled within 24 hours")
    sent["recalled"] = True
    return {}


def update_template_card(call: Call) -> dict[str, Any]:
    authorization = call.authorization()
    if str(call.body.get("agentid")) != str(authorization.agentid):
        raise ApiError(301002, "access_token has no privilege for this agentid")
    call.field("response_code", 40058)
    if not isinstance(call.body.get("template_card") or call.body.get("button"), dict):
        raise ApiError(40058, "template_card or button is required")
    corp = call.corp()
    users = [str(u) for u in call.body.get("userids") or []]
    unknown = [u for u in users if call.sandbox.member_by_any_id(call.suite_id, corp, u) is None]
    return {"invaliduser": unknown}


def getcallbackip(call: Call) -> dict[str, Any]:
    return {"ip_list": ["127.0.0.1"]}
