"""Calls made with a corp access_token (API.md §2.8–§2.9, §2.18–§2.22), and with the
contact-sync token of the register flow (§2.15–§2.16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wecom.client.id_models import ExternalUseridUpgrade
from wecom.client.models import (
    Admin,
    Credential,
    Department,
    MessageResult,
    OpenUserIds,
    ScopeResult,
    User,
    UserDetail,
    UserIdentity,
)
from wecom.client.scope import Scope, ignore

MAX_USERIDS_PER_CONVERSION = 1000


def _ticket(data: dict[str, Any]) -> Credential:
    return Credential.from_json(data, "ticket")


class CorpAPI(Scope):
    auth_param = "access_token"

    def get_admin_list(self, *, agentid: int | None = None) -> tuple[Admin, ...]:
        body = {} if agentid is None else {"agentid": agentid}
        return self._call("POST", "agent/get_admin_list", Admin.list_from_json, json=body)

    def get_permissions(self) -> tuple[str, ...]:
        return self._call(
            "POST",
            "agent/get_permissions",
            lambda d: tuple(str(p) for p in d.get("app_permissions") or ()),
            json={},
        )

    def userid_to_openuserid(self, *, userid_list: Sequence[str]) -> OpenUserIds:
        if len(userid_list) > MAX_USERIDS_PER_CONVERSION:
            raise ValueError(f"at most {MAX_USERIDS_PER_CONVERSION} userids per call")
        return self._call(
            "POST",
            "batch/userid_to_openuserid",
            OpenUserIds.from_json,
            json={"userid_list": list(userid_list)},
        )

    def get_new_external_userid(
        self, *, external_userid_list: Sequence[str]
    ) -> ExternalUseridUpgrade:
        """Corp-scoped external_userids → the provider's (the external_userid upgrade)."""
        if len(external_userid_list) > MAX_USERIDS_PER_CONVERSION:
            raise ValueError(f"at most {MAX_USERIDS_PER_CONVERSION} external_userids per call")
        return self._call(
            "POST",
            "externalcontact/get_new_external_userid",
            ExternalUseridUpgrade.from_json,
            json={"external_userid_list": list(external_userid_list)},
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
        return self._call("POST", "message/send", MessageResult.from_json, json=body)

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
