"""Decrypted callback XML → typed, immutable events (API.md §4.7).

``parse_event`` picks the parser from a dispatch table keyed by InfoType (command and system
events), ChangeType (contact changes), Event (app events) or MsgType (messages). A type without a
parser becomes an ``UnknownEvent`` that keeps every field, so nothing WeCom sends is lost.
Every event also keeps the complete field mapping in ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wecom.customer_events import CUSTOMER_CHANGES
from wecom.event_fields import (
    AppEvent,
    ContactEvent,
    Event,
    FieldReader,
    InvalidEvent,
    ParserEntry,
    SuiteEvent,
    SystemEvent,
    app_fields,
    suite_fields,
    system_fields,
)
from wecom.license_events import LICENSE_APP_EVENTS, LICENSE_SYSTEM_INFO_TYPES
from wecom.order_events import ORDER_INFO_TYPES
from wecom.platform_events import (
    PLATFORM_APP_EVENTS,
    PLATFORM_INFO_TYPES,
    PLATFORM_SYSTEM_INFO_TYPES,
)
from wecom.xml import Fields, parse_fields

__all__ = [
    "AppEvent",
    "ContactEvent",
    "Event",
    "InvalidEvent",
    "SuiteEvent",
    "SystemEvent",
    "parse_event",
]


# --- command callback (指令回调): SuiteId + InfoType ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteTicket(SuiteEvent):
    suite_ticket: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAuth(SuiteEvent):
    auth_code: str = field(repr=False)
    state: str = ""
    extra_info: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeAuth(SuiteEvent):
    auth_corpid: str
    state: str = ""
    extra_info: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelAuth(SuiteEvent):
    auth_corpid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetPermanentCode(SuiteEvent):
    auth_code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ExtAttr:
    name: str
    type: int
    text: str | None = None
    web_title: str | None = None
    web_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEvent(ContactEvent):
    """create_user and update_user: every field but UserID is present only when WeCom sends it."""

    userid: str
    open_userid: str | None = None
    name: str | None = None
    departments: tuple[int, ...] | None = None
    main_department: int | None = None
    is_leader_in_dept: tuple[int, ...] | None = None
    direct_leaders: tuple[str, ...] | None = None
    mobile: str | None = None
    position: str | None = None
    gender: int | None = None
    email: str | None = None
    biz_mail: str | None = None
    status: int | None = None
    avatar: str | None = None
    alias: str | None = None
    telephone: str | None = None
    extattr: tuple[ExtAttr, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCreated(UserEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUpdated(UserEvent):
    new_userid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeleted(ContactEvent):
    userid: str
    open_userid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyCreated(ContactEvent):
    id: int
    name: str
    parent_id: int | None = None
    order: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyUpdated(ContactEvent):
    id: int
    name: str | None = None
    parent_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyDeleted(ContactEvent):
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TagUpdated(ContactEvent):
    """Item lists may be missing: then the tag must be re-read (API.md §4.7)."""

    tag_id: int
    add_user_items: tuple[str, ...] | None = None
    del_user_items: tuple[str, ...] | None = None
    add_party_items: tuple[int, ...] | None = None
    del_party_items: tuple[int, ...] | None = None


# --- system events (系统事件接收URL): ServiceCorpId + InfoType --------------------------------


@dataclass(frozen=True, slots=True)
class ContactSync:
    access_token: str = field(repr=False)
    expires_in: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterCorp(SystemEvent):
    register_code: str = field(repr=False)
    auth_corpid: str
    auth_userid: str | None = None
    state: str = ""
    template_id: str = ""
    contact_sync: ContactSync | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnterRegisterPackage(SystemEvent):
    register_code: str = field(repr=False)
    auth_corpid: str
    auth_userid: str | None = None
    state: str = ""
    template_id: str = ""


# --- data callback (数据回调URL): ToUserName + MsgType ----------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(AppEvent):
    content: str
    msg_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EnterAgent(AppEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribe(AppEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsubscribe(AppEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeAppAdmin(AppEvent):
    """The corp changed the app's admins: re-read the admin list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """A type with no parser here; ``fields`` holds everything that arrived."""


# --- parsers -----------------------------------------------------------------------------------


def _suite_ticket(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "suite_ticket": r.text("SuiteTicket")}


def _create_auth(r: FieldReader) -> dict[str, Any]:
    return {
        **suite_fields(r),
        "auth_code": r.text("AuthCode"),
        "state": r.text("State", ""),
        "extra_info": r.text("ExtraInfo", ""),
    }


def _change_auth(r: FieldReader) -> dict[str, Any]:
    return {
        **suite_fields(r),
        "auth_corpid": r.text("AuthCorpId"),
        "state": r.text("State", ""),
        "extra_info": r.text("ExtraInfo", ""),
    }


def _cancel_auth(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "auth_corpid": r.text("AuthCorpId")}


def _reset_permanent_code(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "auth_code": r.text("AuthCode")}


def _extattr(r: FieldReader) -> tuple[ExtAttr, ...] | None:
    attrs = r.mapping("ExtAttr")
    if attrs is None:
        return None
    items = attrs.fields.get("Item", ())
    result = []
    for item in items if isinstance(items, tuple) else (items,):
        if not isinstance(item, Mapping):
            raise InvalidEvent("ExtAttr/Item must contain elements")
        attr = FieldReader(item)
        text, web = attr.mapping("Text"), attr.mapping("Web")
        result.append(
            ExtAttr(
                name=attr.text("Name"),
                type=attr.opt_int("Type") or 0,
                text=text.opt_str("Value") if text else None,
                web_title=web.opt_str("Title") if web else None,
                web_url=web.opt_str("Url") if web else None,
            )
        )
    return tuple(result)


def _user(r: FieldReader) -> dict[str, Any]:
    return {
        "userid": r.text("UserID"),
        "open_userid": r.opt_str("OpenUserID"),
        "name": r.opt_str("Name"),
        "departments": r.opt_ints("Department"),
        "main_department": r.opt_int("MainDepartment"),
        "is_leader_in_dept": r.opt_ints("IsLeaderInDept"),
        "direct_leaders": r.opt_strs("DirectLeader"),
        "mobile": r.opt_str("Mobile"),
        "position": r.opt_str("Position"),
        "gender": r.opt_int("Gender"),
        "email": r.opt_str("Email"),
        "biz_mail": r.opt_str("BizMail"),
        "status": r.opt_int("Status"),
        "avatar": r.opt_str("Avatar"),
        "alias": r.opt_str("Alias"),
        "telephone": r.opt_str("Telephone"),
        "extattr": _extattr(r),
    }


def _updated_user(r: FieldReader) -> dict[str, Any]:
    return {**_user(r), "new_userid": r.opt_str("NewUserID")}


def _deleted_user(r: FieldReader) -> dict[str, Any]:
    return {"userid": r.text("UserID"), "open_userid": r.opt_str("OpenUserID")}


def _created_party(r: FieldReader) -> dict[str, Any]:
    return {
        "id": r.integer("Id"),
        "name": r.text("Name", ""),
        "parent_id": r.opt_int("ParentId"),
        "order": r.opt_int("Order"),
    }


def _updated_party(r: FieldReader) -> dict[str, Any]:
    return {"id": r.integer("Id"), "name": r.opt_str("Name"), "parent_id": r.opt_int("ParentId")}


def _deleted_party(r: FieldReader) -> dict[str, Any]:
    return {"id": r.integer("Id")}


def _updated_tag(r: FieldReader) -> dict[str, Any]:
    return {
        "tag_id": r.integer("TagId"),
        "add_user_items": r.opt_strs("AddUserItems"),
        "del_user_items": r.opt_strs("DelUserItems"),
        "add_party_items": r.opt_ints("AddPartyItems"),
        "del_party_items": r.opt_ints("DelPartyItems"),
    }


CONTACT_CHANGES: dict[str, tuple[type[ContactEvent], Callable[[FieldReader], dict[str, Any]]]] = {
    "create_user": (UserCreated, _user),
    "update_user": (UserUpdated, _updated_user),
    "delete_user": (UserDeleted, _deleted_user),
    "create_party": (PartyCreated, _created_party),
    "update_party": (PartyUpdated, _updated_party),
    "delete_party": (PartyDeleted, _deleted_party),
    "update_tag": (TagUpdated, _updated_tag),
}


def _change(r: FieldReader, kind: str, common: dict[str, Any]) -> Event:
    """A change event (change_contact, change_external_*): its class by kind, and for
    change_contact by ChangeType; common holds where it came from (command or data URL)."""
    change_type = r.text("ChangeType")
    entry = CUSTOMER_CHANGES.get(kind) or (
        CONTACT_CHANGES.get(change_type) if kind == "change_contact" else None
    )
    if entry is None:
        return UnknownEvent(kind=kind, fields=r.fields)
    cls, parse = entry
    event: Event = cls(kind=kind, fields=r.fields, change_type=change_type, **common, **parse(r))
    return event


CHANGE_KINDS = {"change_contact", *CUSTOMER_CHANGES}


def _register(r: FieldReader) -> dict[str, Any]:
    user = r.mapping("AuthUserInfo")
    return {
        **system_fields(r),
        "register_code": r.text("RegisterCode"),
        "auth_corpid": r.text("AuthCorpId"),
        "auth_userid": user.opt_str("UserId") if user else None,
        "state": r.text("State", ""),
        "template_id": r.text("TemplateId", ""),
    }


def _register_corp(r: FieldReader) -> dict[str, Any]:
    sync = r.mapping("ContactSync")
    contact_sync = (
        ContactSync(access_token=sync.text("AccessToken"), expires_in=sync.integer("ExpiresIn"))
        if sync
        else None
    )
    return {**_register(r), "contact_sync": contact_sync}


def _text(r: FieldReader) -> dict[str, Any]:
    return {**app_fields(r), "content": r.text("Content", ""), "msg_id": r.text("MsgId")}


INFO_TYPES: dict[str, ParserEntry] = {
    "suite_ticket": (SuiteTicket, _suite_ticket),
    "create_auth": (CreateAuth, _create_auth),
    "change_auth": (ChangeAuth, _change_auth),
    "cancel_auth": (CancelAuth, _cancel_auth),
    "reset_permanent_code": (ResetPermanentCode, _reset_permanent_code),
    **PLATFORM_INFO_TYPES,
    **ORDER_INFO_TYPES,
}

SYSTEM_INFO_TYPES: dict[str, ParserEntry] = {
    "register_corp": (RegisterCorp, _register_corp),
    "enter_register_package": (EnterRegisterPackage, _register),
    **LICENSE_SYSTEM_INFO_TYPES,
    **PLATFORM_SYSTEM_INFO_TYPES,
}

APP_EVENTS: dict[str, ParserEntry] = {
    "enter_agent": (EnterAgent, app_fields),
    "subscribe": (Subscribe, app_fields),
    "unsubscribe": (Unsubscribe, app_fields),
    "change_app_admin": (ChangeAppAdmin, app_fields),
    **LICENSE_APP_EVENTS,
    **PLATFORM_APP_EVENTS,
}

MESSAGES: dict[str, ParserEntry] = {"text": (TextMessage, _text)}


def _build(entry: ParserEntry | None, kind: str, r: FieldReader) -> Event:
    if entry is None:
        return UnknownEvent(kind=kind, fields=r.fields)
    cls, parse = entry
    return cls(kind=kind, fields=r.fields, **parse(r))


def event_from_fields(fields: Fields) -> Event:
    r = FieldReader(fields)
    info_type = r.opt_str("InfoType")
    if info_type is not None:
        if "ServiceCorpId" in fields:
            return _build(SYSTEM_INFO_TYPES.get(info_type), info_type, r)
        if info_type in CHANGE_KINDS:
            return _change(r, info_type, {**suite_fields(r), "auth_corpid": r.text("AuthCorpId")})
        return _build(INFO_TYPES.get(info_type), info_type, r)
    msg_type = r.opt_str("MsgType")
    if msg_type == "event":
        event = r.text("Event")
        if event in CHANGE_KINDS:  # 代开发 apps: self-built format on the data callback
            common = {"suite_id": "", "timestamp": r.integer("CreateTime")}
            return _change(r, event, {**common, "auth_corpid": r.text("ToUserName")})
        return _build(APP_EVENTS.get(event), event, r)
    if msg_type is not None:
        return _build(MESSAGES.get(msg_type), msg_type, r)
    raise InvalidEvent("neither InfoType nor MsgType is present")


def parse_event(document: str | bytes) -> Event:
    """Parse a decrypted callback document; raises MalformedXML (or its InvalidEvent)."""
    return event_from_fields(parse_fields(document))
