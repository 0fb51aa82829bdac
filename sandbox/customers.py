"""Customer contact (客户联系) events from the sandbox (API-business.md §6): a member's customer
added, edited or removed, a customer group changed, a customer tag changed — pushed in the
format the app hears (InfoType for third-party apps, Event for 代开发 apps)."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.id_api import customer_external_userid
from sandbox.lifecycle import Lifecycle, LifecycleError
from sandbox.pusher import Delivery
from sandbox.world import opaque_id

CHANGE_TYPES = {
    "change_external_contact": ("add_external_contact", "edit_external_contact",
                                "add_half_external_contact", "del_external_contact",
                                "del_follow_user", "transfer_fail"),
    "change_external_chat": ("create", "update", "dismiss"),
    "change_external_tag": ("create", "update", "delete", "shuffle"),
}  # fmt: skip


def _contact(
    life: Lifecycle, corpid: str, change_type: str, data: dict[str, Any]
) -> dict[str, Any]:
    corp = life.corp(corpid)
    userid = str(data.get("userid") or corp.admin_userid)
    if userid not in corp.members:
        raise LifecycleError(f"no member {userid!r} in {corpid}")
    unionid = str(data.get("unionid") or next(iter(corp.customers), ""))
    if unionid not in corp.customers:
        raise LifecycleError(f"{corpid} has no customer {unionid!r}")
    provider = life.sandbox.config.provider.corpid
    fields: dict[str, Any] = {
        "UserID": userid,
        "ExternalUserID": customer_external_userid(provider, corpid, unionid),
    }
    if change_type in ("add_external_contact", "add_half_external_contact"):
        fields.update(State=str(data.get("state", "")), WelcomeCode=secrets.token_urlsafe(16))
    if change_type == "del_external_contact" and data.get("source"):
        fields["Source"] = str(data["source"])
    if change_type == "transfer_fail":
        fields["FailReason"] = str(data.get("fail_reason") or "customer_refused")
    return fields


def _chat(life: Lifecycle, corpid: str, change_type: str, data: dict[str, Any]) -> dict[str, Any]:
    corp = life.corp(corpid)
    fields: dict[str, Any] = {"ChatId": str(data.get("chat_id") or opaque_id("wr", corpid, "chat"))}
    if change_type == "update":
        members = [str(m) for m in data.get("members", [corp.admin_userid])]
        fields.update(
            UpdateDetail=str(data.get("update_detail") or "add_member"), JoinScene=0,
            MemChangeCnt=len(members), MemChangeList={"Item": members},
            LastMemVer=str(data.get("last_version", "1")), CurMemVer=str(data.get("version", "2")),
        )  # fmt: skip
    return fields


def _tag(life: Lifecycle, corpid: str, change_type: str, data: dict[str, Any]) -> dict[str, Any]:
    tag_id = (
        "" if change_type == "shuffle" else str(data.get("id") or opaque_id("et", corpid, "tag"))
    )
    return {"Id": tag_id, "TagType": str(data.get("tag_type") or "tag")}


FIELDS = {"change_external_contact": _contact, "change_external_chat": _chat,
          "change_external_tag": _tag}  # fmt: skip


def customer_change(
    life: Lifecycle, suite_id: str, corpid: str, kind: str, change_type: str, data: dict[str, Any]
) -> Delivery:
    authorization = life.installed(suite_id, corpid)
    if change_type not in CHANGE_TYPES.get(kind, ()):
        raise LifecycleError(f"unknown {kind} ChangeType {change_type!r}")
    with life.sandbox.lock:
        fields = FIELDS[kind](life, corpid, change_type, data)
    return life.push_change(authorization, kind, change_type, fields)
