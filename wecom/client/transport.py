"""The one door to WeCom's API: a pooled session, mandatory timeouts, bounded retries.

Only retryable failures (system busy, connection errors, 5xx) are retried, with exponential
backoff and jitter. Tokens travel in the query string, so neither URLs nor request exceptions
(which embed the URL) ever reach a log record or an exception message; WeCom's errmsg is scrubbed
of every secret value the call carried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from wecom.client.errors import TransportError, WeComError, error_for

log = logging.getLogger("wecom.client")

Files = Mapping[str, tuple[str, bytes]]  # multipart form field → (file name, content)
DEFAULT_TIMEOUT = (3.05, 10.0)  # (connect, read) seconds


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _never_connected(exc: requests.RequestException) -> bool:
    """Whether the request failed before a connection to WeCom existed (nothing was sent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)  # urllib3's MaxRetryError names the cause
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | NameResolutionError)


class Transport:
    def __init__(
        self,
        api_base: str,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.25,
        pool_size: int = 32,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = api_base.rstrip("/") + "/cgi-bin/"
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def longest_call(self) -> float:
        """Seconds one ``request`` may take with every retry and backoff (each read's timeout
        bounds the wait between bytes, so a lock held across a call must last this long)."""
        timeout = self.timeout
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        backoff = sum(self.backoff * 2.0**attempt for attempt in range(self.max_retries))
        return float((self.max_retries + 1) * (connect + read) + backoff)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
        spends_code: bool = False,
        files: Files | None = None,
    ) -> dict[str, Any]:
        """Call ``path`` (relative to /cgi-bin/) and return the JSON body of a success.

        ``spends_code``: the call uses up a single-use code (auth_code, OAuth code). It is sent
        again only if the first try surely never reached WeCom; after a timeout or a reset
        mid-answer WeCom may have spent the code, and a retry would only get 40029 back.
        """
        secret_values = tuple(s for s in secrets if s)
        for attempt in range(self.max_retries + 1):
            try:
                return self._once(method, path, params, json, files, secret_values, attempt)
            except WeComError as exc:
                spent = spends_code and getattr(exc, "reached", True)
                if not exc.retryable or spent or attempt == self.max_retries:
                    raise
                delay = self.backoff * (2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
                log.warning(
                    "wecom call retried",
                    extra={"wecom_path": path, "attempt": attempt + 1, "error": str(exc)},
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        files: Files | None,
        secrets: tuple[str, ...],
        attempt: int,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                files=files,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            # The exception text embeds the URL and its token: keep only the type.
            error = TransportError(f"{path}: {type(exc).__name__}")
            error.reached = not _never_connected(exc)
            raise error from None
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if response.status_code != 200:
            error = TransportError(f"{path}: HTTP {response.status_code}")
            error.retryable = response.status_code >= 500
            raise error
        try:
            data = response.json()
        except ValueError:
            raise TransportError(f"{path}: response is not JSON") from None
        if not isinstance(data, dict):
            raise TransportError(f"{path}: response is not a JSON object")
        errcode = data.get("errcode", 0)  # token endpoints may omit errcode on success
        log.debug(
            "wecom call",
            extra={
                "wecom_path": path,
                "errcode": errcode,
                "attempt": attempt + 1,
                "elapsed_ms": elapsed_ms,
            },
        )
        if errcode != 0:
            try:
                code = int(errcode)
            except (TypeError, ValueError):
                raise TransportError(f"{path}: errcode is not an integer") from None
            raise error_for(code, redact(str(data.get("errmsg", "")), secrets), path)
        return data
