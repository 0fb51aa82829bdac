"""The sandbox's sign-in endpoints: a member's identity from an OAuth2 code (third-party apps with
the suite token, 代开发 apps with the corp token) and the details behind a user_ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox import customized
from sandbox.engine import USER_TICKET_LIFETIME
from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call


def _identity(call: Call) -> tuple[dict[str, Any], str | None]:
    code = call.sandbox.consume_code(
        "oauth_code", call.query.get("code") or None, invalid=40029, expired=42003
    )
    payload = code.payload
    if payload["suite_id"] != call.suite_id:
        raise ApiError(40029, "invalid code")
    if call.sandbox.active_authorization(payload["suite_id"], payload["corpid"]) is None:
        raise ApiError(50002, "user not in the app's visible range")
    ticket = None
    if payload["scope"] in ("snsapi_privateinfo", "snsapi_userinfo"):
        ticket = call.sandbox.issue_code("user_ticket", payload, USER_TICKET_LIFETIME)
    return payload, ticket


def getuserinfo3rd(call: Call) -> dict[str, Any]:
    payload, ticket = _identity(call)
    answer = {
        "corpid": payload["corpid"],
        "userid": payload["userid"],
        "open_userid": call.sandbox.open_userid(
            payload["suite_id"], payload["corpid"], payload["userid"]
        ),
    }
    if ticket:
        answer.update(user_ticket=ticket, expires_in=USER_TICKET_LIFETIME)
    return answer


def auth_getuserinfo(call: Call) -> dict[str, Any]:
    """A 代开发 app's sign-in, with the corp token: the member's userid (and a user_ticket)."""
    customized.refuse_third_party(call)
    payload, ticket = _identity(call)
    if payload["corpid"] != call.corpid:
        raise ApiError(40029, "invalid code")
    answer: dict[str, Any] = {"userid": payload["userid"]}
    if ticket:
        answer.update(user_ticket=ticket, expires_in=USER_TICKET_LIFETIME)
    return answer


def auth_getuserdetail(call: Call) -> dict[str, Any]:
    customized.refuse_third_party(call)
    return getuserdetail3rd(call)


def getuserinfo3rd_legacy(call: Call) -> dict[str, Any]:
    """The old path answers with capitalised keys (API.md §2.10)."""
    answer = getuserinfo3rd(call)
    return {
        "CorpId": answer.pop("corpid"),
        "UserId": answer.pop("userid"),
        "DeviceId": "sandbox-device",
        **answer,
    }


def getuserdetail3rd(call: Call) -> dict[str, Any]:
    ticket = call.sandbox.find_code(
        "user_ticket", call.field("user_ticket", 84015), invalid=84015, expired=84014
    )
    payload = ticket.payload
    corp = call.sandbox.corp(payload["corpid"])
    member = corp.members.get(payload["userid"]) if corp else None
    if payload["suite_id"] != call.suite_id or member is None:
        raise ApiError(84015, "invalid user_ticket")
    return {
        "corpid": payload["corpid"],
        "userid": member.userid,
        "name": member.name,
        "gender": str(member.gender),
        "avatar": member.avatar,
        "qr_code": f"https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=sandbox-{member.userid}",
    }
