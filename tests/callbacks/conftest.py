"""The portal served over HTTP (live_server) with the sandbox pushing to it, as WeCom does."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
import requests

from corps.models import AuthorizedCorp
from tests.conftest import seed_from_sandbox
from wecom.xml import Envelope, render


class LivePortal:
    def __init__(self, wecom, url: str) -> None:
        self.wecom, self.url = wecom, url
        self.provider, self.suite = seed_from_sandbox(wecom)
        self.http = requests.Session()

    def push_ticket(self) -> None:
        push = self.wecom.push_ticket()["pushes"][self.suite.suite_id]
        assert push["ok"], push
        self.suite.refresh_from_db()

    def install(self, index: int = 0) -> AuthorizedCorp:
        corpid = self.wecom.corps[index]
        push = self.wecom.action("create_auth", suite_id=self.suite.suite_id, corpid=corpid)
        assert push["push"]["ok"], push
        return AuthorizedCorp.objects.get(suite=self.suite, corpid=corpid)

    def act(self, name: str, corp: AuthorizedCorp, **data: Any) -> dict[str, Any]:
        result = self.wecom.action(name, suite_id=self.suite.suite_id, corpid=corp.corpid, **data)
        assert result["push"]["ok"], result
        return result

    def seal(
        self,
        fields: dict[str, Any] | str,
        *,
        receive_id: str | None = None,
        cipher=None,
        timestamp: int | None = None,
        to_user_name: str = "",
    ) -> tuple[dict[str, str], bytes]:
        """Sign and encrypt a document exactly as WeCom would: (query params, body)."""
        cipher = cipher or self.wecom.suite.cipher()
        document = fields if isinstance(fields, str) else render(fields)
        stamp = str(timestamp or int(time.time()))
        sealed = cipher.seal(
            document,
            receive_id or self.suite.suite_id,
            timestamp=stamp,
            nonce=secrets.token_hex(6),
        )
        body = Envelope(to_user_name or self.suite.suite_id, "", sealed.encrypted).render()
        params = {"msg_signature": sealed.signature, "timestamp": stamp, "nonce": sealed.nonce}
        return params, body.encode()

    def post(self, path: str, params: dict[str, str], body: bytes, **kwargs: Any):
        return self.http.post(f"{self.url}{path}", params=params, data=body, timeout=30, **kwargs)

    @property
    def command_path(self) -> str:
        return f"/callbacks/suite/{self.suite.suite_id}/"


@pytest.fixture
def portal(live_server, make_sandbox, settings):
    wecom = make_sandbox(portal=live_server.url)
    settings.WECOM_API_BASE = wecom.url
    live = LivePortal(wecom, live_server.url)
    live.push_ticket()
    yield live
    live.http.close()
