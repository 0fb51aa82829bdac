"""Outbound requests that cannot be turned against the deployment's own network (SSRF).

Unless an endpoint is marked internal by an owner, its host must resolve only to public
addresses, checked twice: when the endpoint is saved (a clear refusal) and on every connection,
against the address actually connected to — so a DNS answer that changes after the check
(rebinding) is caught too. Responses are read up to a cap, within a timeout."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class RefusedAddress(OSError):
    """The URL leads to an address webhooks may not reach (raised while connecting; requests
    reports it as the reason of a ConnectionError)."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_refusal(url: str, *, internal: bool) -> str:
    """Why webhooks may not go to ``url`` ("" when they may)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the URL must be http(s)://host/…"
    if parts.username or parts.password:
        return "the URL must not carry a user name or password"
    if internal:
        return ""
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"{parts.hostname} does not resolve"
    private = sorted({str(info[4][0]) for info in found if not is_public(str(info[4][0]))})
    if private:
        return (
            f"{parts.hostname} resolves to a private, loopback or link-local address ({private[0]})"
        )
    return ""


class _PeerChecked:
    """Refuse a connection whose peer is not a public address."""

    def _new_conn(self) -> Any:
        sock = super()._new_conn()  # type: ignore[misc]  # the urllib3 connection below
        peer = sock.getpeername()[0]
        if not is_public(peer):
            sock.close()
            raise RefusedAddress(f"refused to connect to {peer}: not a public address")
        return sock


class _HTTP(_PeerChecked, HTTPConnection):
    pass


class _HTTPS(_PeerChecked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPS


class PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def session(*, internal: bool) -> requests.Session:
    """A session for one endpoint: public addresses only unless it is internal; no proxies or
    .netrc from the environment, no redirects followed (the caller passes allow_redirects)."""
    http = requests.Session()
    http.trust_env = False
    if not internal:
        adapter = PublicOnlyAdapter(max_retries=0)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
    return http


def refused(error: requests.RequestException) -> RefusedAddress | None:
    """The address refusal behind a failed request, if that is what stopped it (urllib3 wraps
    it in a ProtocolError or a MaxRetryError; the chain is walked, not guessed at)."""
    seen: list[object] = [error]
    visited: set[int] = set()
    while seen:
        current = seen.pop()
        if isinstance(current, RefusedAddress):
            return current
        if isinstance(current, BaseException) and id(current) not in visited:
            visited.add(id(current))
            seen += [a for a in current.args if isinstance(a, BaseException)]
            seen += [c for c in (getattr(current, "reason", None), current.__cause__) if c]
    return None
