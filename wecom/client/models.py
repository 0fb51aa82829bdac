"""Typed, immutable results of WeCom API calls, parsed at the boundary from JSON.

``from_json`` reads the fields WeCom documents (API.md §2) and tolerates absent optional ones;
a missing required field raises KeyError, which the scoped clients turn into a TransportError.
Secrets (tokens, codes, tickets) are left out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]


def _strs(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):  # message/send joins ids with "|"
        return tuple(item for item in value.split("|") if item)
    return tuple(str(item) for item in value)


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(int(item) for item in value or ())


def opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


@dataclass(frozen=True, slots=True)
class Credential:
    """Any expiring credential: suite/provider/corp token, jsapi ticket, pre_auth_code."""

    value: str = field(repr=False)
    expires_in: int

    @classmethod
    def from_json(cls, data: Json, key: str) -> Credential:
        return cls(value=str(data[key]), expires_in=int(data.get("expires_in", 7200)))


@dataclass(frozen=True, slots=True)
class CorpRef:
    corpid: str
    corp_name: str = ""

    @classmethod
    def from_json(cls, data: Json | None) -> CorpRef | None:
        if not data or not data.get("corpid"):
            return None
        return cls(corpid=str(data["corpid"]), corp_name=str(data.get("corp_name", "")))


@dataclass(frozen=True, slots=True)
class AuthCorpInfo:
    corpid: str
    corp_name: str = ""
    corp_type: str = ""
    corp_full_name: str = ""
    corp_square_logo_url: str = ""
    corp_user_max: int | None = None
    verified_end_time: int | None = None
    subject_type: int | None = None
    corp_wxqrcode: str = ""
    corp_scale: str = ""
    corp_industry: str = ""
    corp_sub_industry: str = ""

    @classmethod
    def from_json(cls, data: Json) -> AuthCorpInfo:
        return cls(
            corpid=str(data["corpid"]),
            corp_name=str(data.get("corp_name", "")),
            corp_type=str(data.get("corp_type", "")),
            corp_full_name=str(data.get("corp_full_name", "")),
            corp_square_logo_url=str(data.get("corp_square_logo_url", "")),
            corp_user_max=opt_int(data.get("corp_user_max")),
            verified_end_time=opt_int(data.get("verified_end_time")),
            subject_type=opt_int(data.get("subject_type")),
            corp_wxqrcode=str(data.get("corp_wxqrcode", "")),
            corp_scale=str(data.get("corp_scale", "")),
            corp_industry=str(data.get("corp_industry", "")),
            corp_sub_industry=str(data.get("corp_sub_industry", "")),
        )


@dataclass(frozen=True, slots=True)
class Privilege:
    level: int = 0
    allow_party: tuple[int, ...] = ()
    allow_user: tuple[str, ...] = ()
    allow_tag: tuple[int, ...] = ()
    extra_party: tuple[int, ...] = ()
    extra_user: tuple[str, ...] = ()
    extra_tag: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Privilege:
        return cls(
            level=int(data.get("level", 0)),
            allow_party=_ints(data.get("allow_party")),
            allow_user=_strs(data.get("allow_user")),
            allow_tag=_ints(data.get("allow_tag")),
            extra_party=_ints(data.get("extra_party")),
            extra_user=_strs(data.get("extra_user")),
            extra_tag=_ints(data.get("extra_tag")),
        )


@dataclass(frozen=True, slots=True)
class Agent:
    """The installed app inside the authorizing corp (auth_info.agent[])."""

    agentid: int
    name: str = ""
    round_logo_url: str = ""
    square_logo_url: str = ""
    auth_mode: int = 0
    is_customized_app: bool = False
    auth_from_thirdapp: bool = False
    privilege: Privilege = Privilege()
    shared_from_corpid: str = ""
    share_type: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> Agent:
        shared = data.get("shared_from") or {}
        return cls(
            agentid=int(data["agentid"]),
            name=str(data.get("name", "")),
            round_logo_url=str(data.get("round_logo_url", "")),
            square_logo_url=str(data.get("square_logo_url", "")),
            auth_mode=int(data.get("auth_mode", 0)),
            is_customized_app=bool(data.get("is_customized_app", False)),
            auth_from_thirdapp=bool(data.get("auth_from_thirdapp", False)),
            privilege=Privilege.from_json(data.get("privilege") or {}),
            shared_from_corpid=str(shared.get("corpid", "")),
            share_type=opt_int(shared.get("share_type")),
        )


@dataclass(frozen=True, slots=True)
class Edition:
    """edition_info.agent[]: what the corp has paid for (app_status per API.md §2.5)."""

    agentid: int
    edition_id: str = ""
    edition_name: str = ""
    app_status: int | None = None
    user_limit: int | None = None
    expired_time: int | None = None
    is_virtual_version: bool = False
    is_shared_from_other_corp: bool = False

    @classmethod
    def from_json(cls, data: Json) -> Edition:
        return cls(
            agentid=int(data["agentid"]),
            edition_id=str(data.get("edition_id", "")),
            edition_name=str(data.get("edition_name", "")),
            app_status=opt_int(data.get("app_status")),
            user_limit=opt_int(data.get("user_limit")),
            expired_time=opt_int(data.get("expired_time")),
            is_virtual_version=bool(data.get("is_virtual_version", False)),
            is_shared_from_other_corp=bool(data.get("is_shared_from_other_corp", False)),
        )


@dataclass(frozen=True, slots=True)
class AuthUserInfo:
    userid: str = ""
    open_userid: str = ""
    name: str = ""
    avatar: str = ""

    @classmethod
    def from_json(cls, data: Json | None) -> AuthUserInfo | None:
        if not data:
            return None
        return cls(
            userid=str(data.get("userid", "")),
            open_userid=str(data.get("open_userid", "")),
            name=str(data.get("name", "")),
            avatar=str(data.get("avatar", "")),
        )


@dataclass(frozen=True, slots=True)
class RegisterCodeInfo:
    register_code: str = field(default="", repr=False)
    template_id: str = ""
    state: str = ""

    @classmethod
    def from_json(cls, data: Json | None) -> RegisterCodeInfo | None:
        if not data:
            return None
        return cls(
            register_code=str(data.get("register_code", "")),
            template_id=str(data.get("template_id", "")),
            state=str(data.get("state", "")),
        )


def _agents(data: Json) -> tuple[Agent, ...]:
    return tuple(Agent.from_json(a) for a in (data.get("auth_info") or {}).get("agent") or ())


def _editions(data: Json) -> tuple[Edition, ...]:
    return tuple(Edition.from_json(a) for a in (data.get("edition_info") or {}).get("agent") or ())


@dataclass(frozen=True, slots=True)
class Authorization:
    """get_auth_info: what a corp has authorized (API.md §2.6)."""

    auth_corp_info: AuthCorpInfo
    agents: tuple[Agent, ...] = ()
    editions: tuple[Edition, ...] = ()
    dealer: CorpRef | None = None

    @classmethod
    def from_json(cls, data: Json) -> Authorization:
        return cls(
            auth_corp_info=AuthCorpInfo.from_json(data["auth_corp_info"]),
            agents=_agents(data),
            editions=_editions(data),
            dealer=CorpRef.from_json(data.get("dealer_corp_info")),
        )


@dataclass(frozen=True, slots=True)
class PermanentCode:
    """get_permanent_code (v1 or v2): the install credential and what was authorized."""

    permanent_code: str = field(repr=False)
    auth_corp_info: AuthCorpInfo
    agents: tuple[Agent, ...] = ()
    editions: tuple[Edition, ...] = ()
    dealer: CorpRef | None = None
    auth_user_info: AuthUserInfo | None = None
    register_code_info: RegisterCodeInfo | None = None
    state: str = ""
    access_token: Credential | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)  # the answer as received

    @classmethod
    def from_json(cls, data: Json) -> PermanentCode:
        return cls(
            raw=dict(data),
            permanent_code=str(data["permanent_code"]),
            auth_corp_info=AuthCorpInfo.from_json(data["auth_corp_info"]),
            agents=_agents(data),
            editions=_editions(data),
            dealer=CorpRef.from_json(data.get("dealer_corp_info")),
            auth_user_info=AuthUserInfo.from_json(data.get("auth_user_info")),
            register_code_info=RegisterCodeInfo.from_json(data.get("register_code_info")),
            state=str(data.get("state", "")),
            access_token=Credential.from_json(data, "access_token")
            if data.get("access_token")
            else None,
        )


@dataclass(frozen=True, slots=True)
class Admin:
    userid: str
    open_userid: str = ""
    auth_type: int = 0  # 0 may send messages, 1 manages

    @classmethod
    def list_from_json(cls, data: Json) -> tuple[Admin, ...]:
        return tuple(
            cls(
                userid=str(a.get("userid", "")),
                open_userid=str(a.get("open_userid", "")),
                auth_type=int(a.get("auth_type", 0)),
            )
            for a in data.get("admin") or ()
        )


@dataclass(frozen=True, slots=True)
class UserIdentity:
    """getuserinfo3rd, accepting both the new (lower-case) and old (capitalised) keys."""

    corpid: str = ""
    userid: str = ""
    open_userid: str = ""
    openid: str = ""
    device_id: str = ""
    user_ticket: str = field(default="", repr=False)
    expires_in: int | None = None

    @property
    def is_member(self) -> bool:
        return bool(self.userid or self.open_userid)

    @classmethod
    def from_json(cls, data: Json) -> UserIdentity:
        def pick(*keys: str) -> str:
            return next((str(data[k]) for k in keys if data.get(k)), "")

        return cls(
            corpid=pick("corpid", "CorpId"),
            userid=pick("userid", "UserId"),
            open_userid=pick("open_userid", "OpenUserId"),
            openid=pick("openid", "OpenId"),
            device_id=pick("deviceid", "DeviceId"),
            user_ticket=pick("user_ticket"),
            expires_in=opt_int(data.get("expires_in")),
        )


@dataclass(frozen=True, slots=True)
class UserDetail:
    """getuserdetail3rd: sensitive fields, real only with the member's consent."""

    corpid: str = ""
    userid: str = ""
    name: str = ""
    gender: str = "0"
    avatar: str = ""
    qr_code: str = ""
    mobile: str = ""
    email: str = ""
    biz_mail: str = ""
    address: str = ""

    @classmethod
    def from_json(cls, data: Json) -> UserDetail:
        return cls(**{f: str(data[f]) for f in cls.__dataclass_fields__ if data.get(f) is not None})


@dataclass(frozen=True, slots=True)
class LoginInfo:
    """get_login_info: who scanned the provider login QR code."""

    usertype: int
    corpid: str
    user: AuthUserInfo | None = None
    agents: tuple[tuple[int, int], ...] = ()  # (agentid, auth_type)
    departments: tuple[tuple[int, bool], ...] = ()  # (id, writable)

    @property
    def is_admin(self) -> bool:
        return self.usertype in (1, 2, 3, 4)

    @classmethod
    def from_json(cls, data: Json) -> LoginInfo:
        departments = (data.get("auth_info") or {}).get("department") or ()
        return cls(
            usertype=int(data["usertype"]),
            corpid=str((data.get("corp_info") or {}).get("corpid", "")),
            user=AuthUserInfo.from_json(data.get("user_info")),
            agents=tuple(
                (int(a["agentid"]), int(a.get("auth_type", 0))) for a in data.get("agent") or ()
            ),
            departments=tuple((int(d["id"]), bool(d.get("writable"))) for d in departments),
        )


@dataclass(frozen=True, slots=True)
class RegisterInfo:
    """get_register_info: the corp a register code created."""

    corpid: str
    template_id: str = ""
    state: str = ""
    auth_userid: str = ""
    contact_sync: Credential | None = None

    @classmethod
    def from_json(cls, data: Json) -> RegisterInfo:
        sync = data.get("contact_sync")
        return cls(
            corpid=str(data["corpid"]),
            template_id=str(data.get("template_id", "")),
            state=str(data.get("state", "")),
            auth_userid=str((data.get("auth_user_info") or {}).get("userid", "")),
            contact_sync=Credential.from_json(sync, "access_token") if sync else None,
        )


@dataclass(frozen=True, slots=True)
class MessageResult:
    """message/send: a success may still list recipients it could not reach."""

    msgid: str = ""
    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[str, ...] = ()
    invalid_tags: tuple[str, ...] = ()
    unlicensed_users: tuple[str, ...] = ()
    response_code: str = ""

    @classmethod
    def from_json(cls, data: Json) -> MessageResult:
        return cls(
            msgid=str(data.get("msgid", "")),
            invalid_users=_strs(data.get("invaliduser")),
            invalid_parties=_strs(data.get("invalidparty")),
            invalid_tags=_strs(data.get("invalidtag")),
            unlicensed_users=_strs(data.get("unlicenseduser")),
            response_code=str(data.get("response_code", "")),
        )


@dataclass(frozen=True, slots=True)
class ScopeResult:
    """agent/set_scope: the ids WeCom refused."""

    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[int, ...] = ()
    invalid_tags: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> ScopeResult:
        return cls(
            invalid_users=_strs(data.get("invaliduser")),
            invalid_parties=_ints(data.get("invalidparty")),
            invalid_tags=_ints(data.get("invalidtag")),
        )


@dataclass(frozen=True, slots=True)
class User:
    """user/get, user/list and user/simplelist entries (fewer fields for the simple list)."""

    userid: str
    name: str = ""
    open_userid: str = ""
    departments: tuple[int, ...] = ()
    main_department: int | None = None
    is_leader_in_dept: tuple[int, ...] = ()
    direct_leaders: tuple[str, ...] = ()
    position: str = ""
    mobile: str = ""
    gender: str = ""
    email: str = ""
    biz_mail: str = ""
    avatar: str = ""
    thumb_avatar: str = ""
    telephone: str = ""
    alias: str = ""
    address: str = ""
    status: int | None = None
    qr_code: str = ""

    @classmethod
    def from_json(cls, data: Json) -> User:
        return cls(
            userid=str(data["userid"]),
            name=str(data.get("name", "")),
            open_userid=str(data.get("open_userid", "")),
            departments=_ints(data.get("department")),
            main_department=opt_int(data.get("main_department")),
            is_leader_in_dept=_ints(data.get("is_leader_in_dept")),
            direct_leaders=_strs(data.get("direct_leader")),
            position=str(data.get("position", "")),
            mobile=str(data.get("mobile", "")),
            gender=str(data.get("gender", "")),
            email=str(data.get("email", "")),
            biz_mail=str(data.get("biz_mail", "")),
            avatar=str(data.get("avatar", "")),
            thumb_avatar=str(data.get("thumb_avatar", "")),
            telephone=str(data.get("telephone", "")),
            alias=str(data.get("alias", "")),
            address=str(data.get("address", "")),
            status=opt_int(data.get("status")),
            qr_code=str(data.get("qr_code", "")),
        )


@dataclass(frozen=True, slots=True)
class Department:
    id: int
    name: str = ""
    name_en: str = ""
    parentid: int | None = None
    order: int | None = None
    department_leaders: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Department:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            name_en=str(data.get("name_en", "")),
            parentid=opt_int(data.get("parentid")),
            order=opt_int(data.get("order")),
            department_leaders=_strs(data.get("department_leader")),
        )


@dataclass(frozen=True, slots=True)
class CustomizedAuthUrl:
    qrcode_url: str
    expires_in: int

    @classmethod
    def from_json(cls, data: Json) -> CustomizedAuthUrl:
        return cls(qrcode_url=str(data["qrcode_url"]), expires_in=int(data.get("expires_in", 0)))
