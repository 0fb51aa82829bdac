"""Calls made with a corp access_token (API.md §2.8–§2.9, §2.18–§2.22), and with the
contact-sync token of the register flow (§2.15–§2.16)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wecom.client.agent_models import AgentInfo
from wecom.client.id_models import IdMapping, UnionidMatch
from wecom.client.media import UploadedMedia, media_problem
from wecom.client.models import (
    Admin,
    Credential,
    Department,
    Json,
    MessageResult,
    ScopeResult,
    User,
    UserDetail,
    UserIdentity,
)
from wecom.client.scope import Scope, ignore

MAX_IDS_PER_CONVERSION = 1000
MESSAGE_TYPES = (
    "text",
    "image",
    "voice",
    "video",
    "file",
    "textcard",
    "news",
    "mpnews",
    "markdown",
    "miniprogram_notice",
    "template_card",
)  # message/send's msgtype


def _ticket(data: dict[str, Any]) -> Credential:
    return Credential.from_json(data, "ticket")


class CorpAPI(Scope):
    auth_param = "access_token"

    def get_admin_list(self, *, agentid: int | None = None) -> tuple[Admin, ...]:
        body = {} if agentid is None else {"agentid": agentid}
        return self._call("POST", "agent/get_admin_list", Admin.list_from_json, json=body)

    def agent_get(self, *, agentid: int) -> AgentInfo:
        """The app in the corp: enabled or not and, for a 代开发 app, its publish status."""
        return self._call("GET", "agent/get", AgentInfo.from_json, params={"agentid": str(agentid)})

    def get_permissions(self) -> tuple[str, ...]:
        return self._call(
            "POST",
            "agent/get_permissions",
            lambda d: tuple(str(p) for p in d.get("app_permissions") or ()),
            json={},
        )

    def userid_to_openuserid(self, *, userid_list: Sequence[str]) -> IdMapping:
        return self._convert(
            "batch/userid_to_openuserid",
            {"userid_list": userid_list},
            IdMapping.reader("open_userid_list", "userid", "open_userid", "invalid_userid_list"),
        )

    def get_new_external_userid(
        self, *, external_userid_list: Sequence[str], chat_id: str = ""
    ) -> IdMapping:
        """Corp-scoped external_userids → the provider's (the external_userid upgrade); with
        ``chat_id``, members of that customer group who are not the corp's contacts."""
        path = "externalcontact/get_new_external_userid"
        body: dict[str, object] = {"external_userid_list": external_userid_list}
        if chat_id:
            path, body["chat_id"] = "externalcontact/groupchat/get_new_external_userid", chat_id
        return self._convert(
            path, body, IdMapping.reader("items", "external_userid", "new_external_userid")
        )

    def external_tagid_convert(self, *, external_tagid_list: Sequence[str]) -> IdMapping:
        """Customer tag ids the corp knows → the provider's open_external_tagid."""
        return self._convert(
            "idconvert/external_tagid",
            {"external_tagid_list": external_tagid_list},
            IdMapping.reader(
                "items", "external_tagid", "open_external_tagid", "invalid_external_tagid_list"
            ),
        )

    def open_kfid_convert(self, *, open_kfid_list: Sequence[str]) -> IdMapping:
        """微信客服 account ids the corp knows → the provider's."""
        return self._convert(
            "idconvert/open_kfid",
            {"open_kfid_list": open_kfid_list},
            IdMapping.reader("items", "open_kfid", "new_open_kfid", "invalid_open_kfid_list"),
        )

    def _convert(
        self, path: str, body: dict[str, object], read: Callable[[Json], IdMapping]
    ) -> IdMapping:
        """A batch conversion: every list in ``body`` holds at most 1000 ids (WeCom's limit)."""
        for name, ids in body.items():
            if isinstance(ids, Sequence) and not isinstance(ids, str):
                if len(ids) > MAX_IDS_PER_CONVERSION:
                    raise ValueError(f"at most {MAX_IDS_PER_CONVERSION} ids in {name}")
                body[name] = list(ids)
        return self._call("POST", path, read, json=body)

    def unionid_to_external_userid(
        self, *, unionid: str, openid: str, subject_type: int = 0
    ) -> UnionidMatch:
        """A WeChat user (unionid + openid of the same mini-program or official account, owned
        by the corp: subject_type 0, or by the provider: 1) → their external_userid."""
        return self._call(
            "POST",
            "idconvert/unionid_to_external_userid",
            UnionidMatch.from_json,
            json={"unionid": unionid, "openid": openid, "subject_type": subject_type},
        )

    def get_openid_migration(self) -> dict[int, bool]:
        """openid_type → whether its migration is finished (1 userid+corpid, 3 external ids)."""
        return self._call(
            "POST",
            "corp/get_openid_migration",
            lambda d: {
                int(m["openid_type"]): bool(m["status"]) for m in d.get("migration_info") or ()
            },
            json={},
        )

    def auth_getuserinfo(self, *, code: str) -> UserIdentity:
        """Who an OAuth2 code belongs to, for 代开发 and self-built apps (the corp's token)."""
        return self._call(
            "GET",
            "auth/getuserinfo",
            UserIdentity.from_json,
            params={"code": code},
            secrets=(code,),
            spends_code=True,
        )

    def auth_getuserdetail(self, *, user_ticket: str) -> UserDetail:
        return self._call(
            "POST",
            "auth/getuserdetail",
            UserDetail.from_json,
            json={"user_ticket": user_ticket},
            secrets=(user_ticket,),
        )

    def get_jsapi_ticket(self) -> Credential:
        """The corp ticket, signed into wx.config."""
        return self._call("GET", "get_jsapi_ticket", _ticket)

    def get_agent_config_ticket(self) -> Credential:
        """The app ticket, signed into wx.agentConfig."""
        return self._call("GET", "ticket/get", _ticket, params={"type": "agent_config"})

    def send_text(
        self,
        *,
        agentid: int,
        content: str,
        touser: Sequence[str] = (),
        toparty: Sequence[str] = (),
        totag: Sequence[str] = (),
        safe: bool = False,
        duplicate_check_interval: int | None = None,
    ) -> MessageResult:
        """message/send with msgtype text; ``touser=("@all",)`` reaches everyone visible."""
        if not (touser or toparty or totag):
            raise ValueError("a message needs at least one of touser, toparty, totag")
        body: dict[str, Any] = {
            "touser": "|".join(touser),
            "toparty": "|".join(toparty),
            "totag": "|".join(totag),
            "msgtype": "text",
            "agentid": agentid,
            "text": {"content": content},
            "safe": int(safe),
        }
        if duplicate_check_interval is not None:
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = duplicate_check_interval
        return self.message_send(body)

    def message_send(self, body: dict[str, Any]) -> MessageResult:
        """message/send with any message WeCom takes (text, markdown, textcard, news,
        template_card…), as WeCom's own JSON."""
        return self._call("POST", "message/send", MessageResult.from_json, json=body)

    def message_recall(self, *, msgid: str) -> None:
        """Withdraw a message sent in the last 24 hours."""
        self._call("POST", "message/recall", ignore, json={"msgid": msgid})

    def update_template_card(self, body: dict[str, Any]) -> tuple[str, ...]:
        """Change a template card already sent (by its response_code); the users WeCom refused."""
        return self._call(
            "POST",
            "message/update_template_card",
            lambda d: tuple(str(u) for u in d.get("invaliduser") or ()),
            json=body,
        )

    def media_upload(self, *, media_type: str, filename: str, content: bytes) -> UploadedMedia:
        """A temporary media (three days), checked against WeCom's limits before it is sent."""
        if problem := media_problem(media_type, filename, len(content)):
            raise ValueError(problem[1])
        return self._call(
            "POST",
            "media/upload",
            UploadedMedia.from_json,
            params={"type": media_type},
            files={"media": (filename, content)},
        )

    def user_get(self, *, userid: str) -> User:
        return self._call("GET", "user/get", User.from_json, params={"userid": userid})

    def user_simplelist(self, *, department_id: int, fetch_child: bool = False) -> tuple[User, ...]:
        return self._users("user/simplelist", department_id, fetch_child)

    def user_list(self, *, department_id: int, fetch_child: bool = False) -> tuple[User, ...]:
        """Members of a department; with ``fetch_child``, of its whole subtree."""
        return self._users("user/list", department_id, fetch_child)

    def _users(self, path: str, department_id: int, fetch_child: bool) -> tuple[User, ...]:
        params = {"department_id": str(department_id)}
        if fetch_child:
            params["fetch_child"] = "1"
        return self._call(
            "GET",
            path,
            lambda d: tuple(User.from_json(u) for u in d.get("userlist") or ()),
            params=params,
        )

    def department_list(self, *, id: int | None = None) -> tuple[Department, ...]:
        """The visible department tree, recursively, or the subtree under ``id``."""
        return self._call(
            "GET",
            "department/list",
            lambda d: tuple(Department.from_json(x) for x in d.get("department") or ()),
            params={} if id is None else {"id": str(id)},
        )

    def getcallbackip(self) -> tuple[str, ...]:
        return self._call(
            "GET", "getcallbackip", lambda d: tuple(str(ip) for ip in d.get("ip_list") or ())
        )


class ContactSyncAPI(Scope):
    """The register flow's 30-minute contact-migration token (register_corp's ContactSync)."""

    auth_param = "access_token"

    def set_scope(
        self,
        *,
        agentid: int,
        allow_user: Sequence[str] = (),
        allow_party: Sequence[int] = (),
        allow_tag: Sequence[int] = (),
    ) -> ScopeResult:
        body = {
            "agentid": agentid,
            "allow_user": list(allow_user),
            "allow_party": list(allow_party),
            "allow_tag": list(allow_tag),
        }
        return self._call("POST", "agent/set_scope", ScopeResult.from_json, json=body)

    def contact_sync_success(self) -> None:
        self._call("GET", "sync/contact_sync_success", ignore)
