"""Token scopes: each WeCom token kind has its own client class, so a call can only be made
with the kind of token its endpoint takes, in the query parameter that endpoint expects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from wecom.client.errors import TokenInvalidError, TransportError
from wecom.client.transport import Files, Transport

T = TypeVar("T")


class TokenSource(Protocol):
    """Where a scope gets its token; the credential service implements this."""

    def get(self) -> str: ...

    def invalidate(self, token: str) -> None:
        """WeCom rejected ``token``: forget it, so the next ``get`` fetches a fresh one."""


@dataclass(frozen=True)
class StaticToken:
    """A token that cannot be refreshed, for scripts and tests."""

    token: str = field(repr=False)

    def get(self) -> str:
        return self.token

    def invalidate(self, token: str) -> None:
        return None


def parse_response(path: str, parse: Callable[[dict[str, Any]], T], data: dict[str, Any]) -> T:
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        error = TransportError(f"{path}: unexpected response shape ({type(exc).__name__})")
        error.retryable = False
        raise error from None


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Mapping[str, str] | None
    json: Mapping[str, Any] | None
    secrets: tuple[str, ...] = field(repr=False)
    spends_code: bool
    files: Files | None = None


class Scope:
    """Calls made with one token kind. A rejected token is invalidated and the call retried
    once with a fresh one (reactive refresh, SPEC §4 Credentials)."""

    auth_param: ClassVar[str]

    def __init__(self, transport: Transport, tokens: TokenSource) -> None:
        self._transport = transport
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r})"

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[dict[str, Any]], T],
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
        auth_param: str | None = None,
        spends_code: bool = False,
        files: Files | None = None,
    ) -> T:
        """``spends_code``: see Transport.request. A rejected token spends nothing, so the call
        with a fresh token is safe either way."""
        name = auth_param or self.auth_param
        token = self._tokens.get()
        call = Call(method, path, params, json, tuple(secrets), spends_code, files)
        try:
            data = self._request(call, name, token)
        except TokenInvalidError:
            self._tokens.invalidate(token)
            fresh = self._tokens.get()
            if fresh == token:
                raise
            data = self._request(call, name, fresh)
        return parse_response(path, parse, data)

    def _request(self, call: Call, name: str, token: str) -> dict[str, Any]:
        return self._transport.request(
            call.method,
            call.path,
            params={**(call.params or {}), name: token},
            json=call.json,
            secrets=(token, *call.secrets),
            spends_code=call.spends_code,
            files=call.files,
        )


def ignore(data: dict[str, Any]) -> None:
    """The parser for calls whose success carries nothing but errcode 0."""
    return None
