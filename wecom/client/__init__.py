"""A typed WeCom API client in token scopes (API.md §2).

    client = WeComClient("https://qyapi.weixin.qq.com")
    token = client.tokens.get_suite_token(suite_id=..., suite_secret=..., suite_ticket=...)
    suite = client.suite(StaticToken(token.value))
    suite.get_pre_auth_code()

Every scope shares the client's one pooled ``requests.Session``.
"""

from __future__ import annotations

from typing import Any

from wecom.client.corp import ContactSyncAPI, CorpAPI
from wecom.client.errors import (
    AuthorizationInvalidError,
    InvalidCodeError,
    LicenseAccountError,
    LicenseError,
    LicenseOrderError,
    LicenseRequiredError,
    NoPrivilegeError,
    RateLimitedError,
    SuiteTicketInvalidError,
    SystemBusyError,
    TokenInvalidError,
    TransportError,
    WeComAPIError,
    WeComError,
)
from wecom.client.license import LicenseAPI
from wecom.client.provider import ProviderAPI
from wecom.client.scope import StaticToken, TokenSource
from wecom.client.suite import SuiteAPI
from wecom.client.tokens import TokenAPI
from wecom.client.transport import Transport


class WeComClient:
    def __init__(self, api_base: str, **transport_options: Any) -> None:
        self.transport = Transport(api_base, **transport_options)
        self.tokens = TokenAPI(self.transport)

    def __repr__(self) -> str:
        return f"WeComClient({self.transport.base_url!r})"

    def suite(self, tokens: TokenSource) -> SuiteAPI:
        return SuiteAPI(self.transport, tokens)

    def provider(self, tokens: TokenSource) -> ProviderAPI:
        return ProviderAPI(self.transport, tokens)

    def corp(self, tokens: TokenSource) -> CorpAPI:
        return CorpAPI(self.transport, tokens)

    def contact_sync(self, access_token: str) -> ContactSyncAPI:
        return ContactSyncAPI(self.transport, StaticToken(access_token))


__all__ = [
    "AuthorizationInvalidError",
    "ContactSyncAPI",
    "CorpAPI",
    "InvalidCodeError",
    "LicenseAPI",
    "LicenseAccountError",
    "LicenseError",
    "LicenseOrderError",
    "LicenseRequiredError",
    "NoPrivilegeError",
    "ProviderAPI",
    "RateLimitedError",
    "StaticToken",
    "SuiteAPI",
    "SuiteTicketInvalidError",
    "SystemBusyError",
    "TokenAPI",
    "TokenInvalidError",
    "TokenSource",
    "TransportError",
    "WeComAPIError",
    "WeComClient",
    "WeComError",
]
