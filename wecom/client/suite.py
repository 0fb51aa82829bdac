"""Calls made with a suite_access_token (API.md §2.3–§2.11)."""

from __future__ import annotations

from typing import Literal

from wecom.client.app_orders import AppOrder
from wecom.client.models import (
    Admin,
    Authorization,
    Credential,
    PermanentCode,
    UserDetail,
    UserIdentity,
)
from wecom.client.scope import Scope, ignore


class SuiteAPI(Scope):
    auth_param = "suite_access_token"

    def get_pre_auth_code(self) -> Credential:
        return self._call(
            "GET", "service/get_pre_auth_code", lambda d: Credential.from_json(d, "pre_auth_code")
        )

    def set_session_info(self, *, pre_auth_code: str, auth_type: Literal[0, 1] = 0) -> None:
        """auth_type 1 makes a test authorization (only while the app is unpublished)."""
        self._call(
            "POST",
            "service/set_session_info",
            ignore,
            json={"pre_auth_code": pre_auth_code, "session_info": {"auth_type": auth_type}},
            secrets=(pre_auth_code,),
        )

    def get_permanent_code(self, *, auth_code: str, version: Literal[1, 2] = 1) -> PermanentCode:
        """Exchange a single-use auth_code. v1 also returns the full auth info and a corp token;
        v2 is faster and returns the corp and the installing admin only."""
        path = "service/v2/get_permanent_code" if version == 2 else "service/get_permanent_code"
        return self._call(
            "POST",
            path,
            PermanentCode.from_json,
            json={"auth_code": auth_code},
            secrets=(auth_code,),
            spends_code=True,
        )

    def get_auth_info(
        self, *, auth_corpid: str, permanent_code: str, version: Literal[1, 2] = 1
    ) -> Authorization:
        path = "service/v2/get_auth_info" if version == 2 else "service/get_auth_info"
        return self._call(
            "POST",
            path,
            Authorization.from_json,
            json={"auth_corpid": auth_corpid, "permanent_code": permanent_code},
            secrets=(permanent_code,),
        )

    def get_corp_token(self, *, auth_corpid: str, permanent_code: str) -> Credential:
        return self._call(
            "POST",
            "service/get_corp_token",
            lambda d: Credential.from_json(d, "access_token"),
            json={"auth_corpid": auth_corpid, "permanent_code": permanent_code},
            secrets=(permanent_code,),
        )

    def get_admin_list(self, *, auth_corpid: str, agentid: int) -> tuple[Admin, ...]:
        """The old suite-token admin list; CorpAPI.get_admin_list is its successor."""
        return self._call(
            "POST",
            "service/get_admin_list",
            Admin.list_from_json,
            json={"auth_corpid": auth_corpid, "agentid": agentid},
        )

    def getuserinfo3rd(self, *, code: str, legacy: bool = False) -> UserIdentity:
        """Who an OAuth2 code belongs to. ``legacy`` uses the old path, which takes the suite
        token as ``access_token`` and answers with capitalised keys."""
        return self._call(
            "GET",
            "service/getuserinfo3rd" if legacy else "service/auth/getuserinfo3rd",
            UserIdentity.from_json,
            params={"code": code},
            secrets=(code,),
            auth_param="access_token" if legacy else None,
            spends_code=True,
        )

    def getuserdetail3rd(self, *, user_ticket: str, legacy: bool = False) -> UserDetail:
        return self._call(
            "POST",
            "service/getuserdetail3rd" if legacy else "service/auth/getuserdetail3rd",
            UserDetail.from_json,
            json={"user_ticket": user_ticket},
            secrets=(user_ticket,),
            auth_param="access_token" if legacy else None,
        )

    def unionid_to_external_userid_3rd(
        self, *, unionid: str, openid: str, corpid: str = ""
    ) -> dict[str, str]:
        """A WeChat user → their external_userid in each authorized corp that has them as a
        customer (corpid → external_userid); ``corpid`` narrows the answer to one corp."""
        body = {"unionid": unionid, "openid": openid}
        if corpid:
            body["corpid"] = corpid
        return self._call(
            "POST",
            "service/externalcontact/unionid_to_external_userid_3rd",
            lambda d: {
                str(i["corpid"]): str(i["external_userid"])
                for i in d.get("external_userid_info") or ()
            },
            json=body,
        )

    # --- paid editions (应用版本付费) -------------------------------------------------------

    def get_order(self, *, order_id: str) -> AppOrder:
        return self._call(
            "POST", "service/get_order", AppOrder.from_json, json={"orderid": order_id}
        )

    def get_order_list(
        self, *, start_time: int, end_time: int, test_mode: bool = False
    ) -> tuple[AppOrder, ...]:
        body = {"start_time": start_time, "end_time": end_time, "test_mode": int(test_mode)}
        return self._call(
            "POST",
            "service/get_order_list",
            lambda d: tuple(AppOrder.from_json(o) for o in d.get("order_list") or ()),
            json=body,
        )

    def prolong_try(self, *, buyer_corpid: str, prolong_days: int) -> int:
        """Extend a corp's trial (60 days in all at most); returns the new trial end."""
        body = {"buyer_corpid": buyer_corpid, "prolong_days": prolong_days}
        return self._call(
            "POST", "service/prolong_try", lambda d: int(d["try_end_time"]), json=body
        )
