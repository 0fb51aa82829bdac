"""Calls made with a provider_access_token (API.md §2.12–§2.14, §2.17, §2.24)."""

from __future__ import annotations

from collections.abc import Sequence

from wecom.client.id_models import ContactQuery, ContactSearchPage, IdTranslateJob
from wecom.client.license import LicenseAPI
from wecom.client.models import Credential, CustomizedAuthUrl, LoginInfo, RegisterInfo
from wecom.client.scope import Scope, ignore

MAX_BATCH_QUERIES = 50
MAX_TRANSLATED_FILES = 20


class ProviderAPI(Scope):
    auth_param = "provider_access_token"

    @property
    def license(self) -> LicenseAPI:
        """接口许可 calls, which take the same provider token."""
        return LicenseAPI(self._transport, self._tokens)

    def get_login_info(self, *, auth_code: str) -> LoginInfo:
        # The one provider endpoint that names its token parameter access_token.
        return self._call(
            "POST",
            "service/get_login_info",
            LoginInfo.from_json,
            json={"auth_code": auth_code},
            secrets=(auth_code,),
            auth_param="access_token",
            spends_code=True,
        )

    def get_register_code(
        self,
        *,
        template_id: str,
        corp_name: str = "",
        admin_name: str = "",
        admin_mobile: str = "",
        state: str = "",
        follow_user: str = "",
    ) -> Credential:
        optional = {
            "corp_name": corp_name,
            "admin_name": admin_name,
            "admin_mobile": admin_mobile,
            "state": state,
            "follow_user": follow_user,
        }
        body = {"template_id": template_id, **{k: v for k, v in optional.items() if v}}
        return self._call(
            "POST",
            "service/get_register_code",
            lambda d: Credential.from_json(d, "register_code"),
            json=body,
        )

    def get_register_info(self, *, register_code: str) -> RegisterInfo:
        return self._call(
            "POST",
            "service/get_register_info",
            RegisterInfo.from_json,
            json={"register_code": register_code},
            secrets=(register_code,),
        )

    def corpid_to_opencorpid(self, *, corpid: str) -> str:
        return self._call(
            "POST",
            "service/corpid_to_opencorpid",
            lambda d: str(d["open_corpid"]),
            json={"corpid": corpid},
        )

    def finish_openid_migration(
        self, *, corpid: str, openid_types: Sequence[int], agentid: int | None = None
    ) -> None:
        """Declare a corp's ID migration done: 1 userid and corpid, 3 external ids, tags, kfids
        and msgids. Without agentid it covers every third-party app of the provider there."""
        body: dict[str, object] = {"corpid": corpid, "openid_type": list(openid_types)}
        if agentid is not None:
            body["agentid"] = agentid
        self._call("POST", "service/finish_openid_migration", ignore, json=body)

    def contact_search(
        self, *, auth_corpid: str, query_word: str, query_type: int = 0, agentid: int = 0,
        limit: int = 50, cursor: str = "",
    ) -> ContactSearchPage:  # fmt: skip
        """Members (and departments) of the corp whose name matches, as the provider may see."""
        body: dict[str, object] = {
            "auth_corpid": auth_corpid, "query_word": query_word, "query_type": query_type,
            "agentid": agentid, "limit": limit,
        }  # fmt: skip
        if cursor:
            body["cursor"] = cursor
        return self._call("POST", "service/contact/search", ContactSearchPage.from_json, json=body)

    def contact_batchsearch(
        self, *, auth_corpid: str, queries: Sequence[ContactQuery], agentid: int = 0
    ) -> tuple[ContactSearchPage, ...]:
        """Up to 50 searches in one call, answered in the order asked."""
        if not 0 < len(queries) <= MAX_BATCH_QUERIES:
            raise ValueError(f"1 to {MAX_BATCH_QUERIES} queries per call")
        body = {
            "auth_corpid": auth_corpid,
            "agentid": agentid,
            "query_request_list": [q.as_json() for q in queries],
        }
        return self._call(
            "POST", "service/contact/batchsearch", ContactSearchPage.list_from_json, json=body
        )

    def media_upload(self, *, filename: str, content: bytes, media_type: str = "file") -> str:
        """Upload a file for the provider's own calls (id_translate); its media_id lives 3 days."""
        return self._call(
            "POST",
            "service/media/upload",
            lambda d: str(d["media_id"]),
            params={"type": media_type},
            files={"media": (filename, content)},
        )

    def id_translate(
        self, *, auth_corpid: str, media_id_list: Sequence[str], output_file_name: str = ""
    ) -> str:
        """Start translating the member and department ids in uploaded files into names a
        signed-in member of the corp can read; returns the job id for ``batch_getresult``."""
        if not 0 < len(media_id_list) <= MAX_TRANSLATED_FILES:
            raise ValueError(f"1 to {MAX_TRANSLATED_FILES} files per job")
        if len(media_id_list) > 1 and not output_file_name:
            raise ValueError("output_file_name is required for more than one file")
        body: dict[str, object] = {"auth_corpid": auth_corpid, "media_id_list": list(media_id_list)}
        if output_file_name:
            body["output_file_name"] = output_file_name
        return self._call(
            "POST", "service/contact/id_translate", lambda d: str(d["jobid"]), json=body
        )

    def batch_getresult(self, *, jobid: str) -> IdTranslateJob:
        return self._call(
            "GET", "service/batch/getresult", IdTranslateJob.from_json, params={"jobid": jobid}
        )

    def get_customized_auth_url(
        self, *, templateid_list: Sequence[str], state: str = ""
    ) -> CustomizedAuthUrl:
        """A 代开发 authorization QR code URL, valid for 10 days."""
        return self._call(
            "POST",
            "service/get_customized_auth_url",
            CustomizedAuthUrl.from_json,
            json={"state": state, "templateid_list": list(templateid_list)},
        )
