"""Customer contact (客户联系) events (API-business.md §6): a customer added, edited or removed
(change_external_contact), a customer group changed (change_external_chat), a customer tag
changed (change_external_tag). Third-party apps get them as InfoType on the command URL; 代开发
apps as Event on the data URL, like change_contact, and the same classes serve both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wecom.event_fields import ContactEvent, FieldReader


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalContactChange(ContactEvent):
    """change_external_contact, every ChangeType: add_external_contact, edit_external_contact,
    add_half_external_contact, del_external_contact, del_follow_user, transfer_fail.
    ``welcome_code`` lets the app send a welcome message for about 20 seconds."""

    userid: str
    external_userid: str
    state: str = ""
    welcome_code: str = ""
    source: str = ""  # del_external_contact: DELETE_BY_TRANSFER when an on-job transfer did it
    fail_reason: str = ""  # transfer_fail: customer_refused or customer_limit_exceed


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalChatChange(ContactEvent):
    """change_external_chat: create, update (UpdateDetail says what), dismiss. For member
    changes, a LastMemVer unlike the stored version means: re-read the group."""

    chat_id: str
    update_detail: str = ""
    join_scene: int | None = None
    quit_scene: int | None = None
    member_change_count: int | None = None
    member_changes: tuple[str, ...] = ()
    last_member_version: str = ""
    current_member_version: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalTagChange(ContactEvent):
    """change_external_tag: create, update, delete, shuffle of a tag or a tag group (``id``
    empty on a shuffle of every group)."""

    id: str
    tag_type: str = ""  # tag or tag_group
    strategy_id: int | None = None  # 代开发 only: the rule group


def _items(r: FieldReader, name: str) -> tuple[str, ...]:
    """<MemChangeList><Item>a</Item><Item>b</Item></MemChangeList>: one or several Items."""
    inner = r.mapping(name)
    if inner is None:
        return ()
    raw = inner.fields.get("Item")
    values = raw if isinstance(raw, tuple) else (raw,) if raw is not None else ()
    return tuple(str(v) for v in values if isinstance(v, str))


def _contact(r: FieldReader) -> dict[str, Any]:
    return {
        "userid": r.text("UserID", ""),
        "external_userid": r.text("ExternalUserID", ""),
        "state": r.text("State", ""),
        "welcome_code": r.text("WelcomeCode", ""),
        "source": r.text("Source", ""),
        "fail_reason": r.text("FailReason", ""),
    }


def _chat(r: FieldReader) -> dict[str, Any]:
    return {
        "chat_id": r.text("ChatId"),
        "update_detail": r.text("UpdateDetail", ""),
        "join_scene": r.opt_int("JoinScene"),
        "quit_scene": r.opt_int("QuitScene"),
        "member_change_count": r.opt_int("MemChangeCnt"),
        "member_changes": _items(r, "MemChangeList"),
        "last_member_version": r.text("LastMemVer", ""),
        "current_member_version": r.text("CurMemVer", ""),
    }


def _tag(r: FieldReader) -> dict[str, Any]:
    return {"id": r.text("Id", ""), "tag_type": r.text("TagType", ""),
            "strategy_id": r.opt_int("StrategyId")}  # fmt: skip


ChangeEntry = tuple[type[ContactEvent], Callable[[FieldReader], dict[str, Any]]]
CUSTOMER_CHANGES: dict[str, ChangeEntry] = {
    "change_external_contact": (ExternalContactChange, _contact),
    "change_external_chat": (ExternalChatChange, _chat),
    "change_external_tag": (ExternalTagChange, _tag),
}
