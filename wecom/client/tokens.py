"""The token endpoints themselves (API.md §2.1, §2.2, §2.25): called with secrets, no token."""

from __future__ import annotations

from wecom.client.models import Credential
from wecom.client.scope import parse_response
from wecom.client.transport import Transport


class TokenAPI:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def get_provider_token(self, *, corpid: str, provider_secret: str) -> Credential:
        path = "service/get_provider_token"
        data = self._transport.request(
            "POST",
            path,
            json={"corpid": corpid, "provider_secret": provider_secret},
            secrets=(provider_secret,),
        )
        return parse_response(
            path, lambda d: Credential.from_json(d, "provider_access_token"), data
        )

    def get_suite_token(self, *, suite_id: str, suite_secret: str, suite_ticket: str) -> Credential:
        path = "service/get_suite_token"
        data = self._transport.request(
            "POST",
            path,
            json={"suite_id": suite_id, "suite_secret": suite_secret, "suite_ticket": suite_ticket},
            secrets=(suite_secret, suite_ticket),
        )
        return parse_response(path, lambda d: Credential.from_json(d, "suite_access_token"), data)

    def gettoken(self, *, corpid: str, corpsecret: str) -> Credential:
        """A 代开发 corp token: the permanent code is the corp secret (API.md §8)."""
        path = "gettoken"
        data = self._transport.request(
            "GET", path, params={"corpid": corpid, "corpsecret": corpsecret}, secrets=(corpsecret,)
        )
        return parse_response(path, lambda d: Credential.from_json(d, "access_token"), data)
