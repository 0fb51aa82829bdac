"""Run the sandbox inside a test: a live server on a free port with a control client.

    def test_something(make_sandbox, live_server):
        wecom = make_sandbox(portal=live_server.url)
        wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=wecom.corps[0])
        assert len(wecom.calls("service/get_corp_token")) == 1

The suite_ticket loop is off: tests push tickets when they want one (``push_ticket``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import requests

from sandbox.config import SandboxConfig, SuiteConfig, load_config
from sandbox.server import SandboxServer

# Seeded into every secret the test sandbox holds or issues; tests/conftest.py checks that no log
# line the portal writes ever contains it.
CANARY = "CANARY9f3b"


class ControlError(AssertionError):
    """The sandbox refused a control action."""


@dataclass
class SandboxHandle:
    server: SandboxServer
    http: requests.Session

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def config(self) -> SandboxConfig:
        return self.server.app.sandbox.config

    @property
    def suite(self) -> SuiteConfig:
        return self.config.suites[0]

    @property
    def corps(self) -> list[str]:
        """The demo customer corps' corpids, in seeding order."""
        return list(self.server.app.sandbox.corps)

    def action(self, name: str, /, timeout: float = 30, **data: Any) -> dict[str, Any]:
        response = self.http.post(
            f"{self.url}/sandbox/api/actions/{name}", json=data, timeout=timeout
        )
        if response.status_code != 200:
            raise ControlError(f"{name}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def push_ticket(self, suite_id: str | None = None) -> dict[str, Any]:
        return self.action("suite_ticket", suite_id=suite_id or self.suite.suite_id)

    def _log(self, name: str, **filters: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None}
        entries: list[dict[str, Any]] = self.http.get(
            f"{self.url}/sandbox/api/{name}", params=params, timeout=10
        ).json()
        return entries

    def calls(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        return self._log("calls", endpoint=endpoint)

    def pushes(self, event: str | None = None) -> list[dict[str, Any]]:
        return self._log("pushes", event=event)

    def messages(self) -> list[dict[str, Any]]:
        return self._log("messages")

    def webhooks(self, type: str | None = None) -> list[dict[str, Any]]:
        """What the webhook inbox received (verified or not), oldest first."""
        return self._log("webhooks", type=type)

    def reset_logs(self) -> None:
        self.action("reset_logs")

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.http.get(f"{self.url}/sandbox/api/state", timeout=10).json()
        return state


def config_for_tests(portal: str, **overrides: Any) -> SandboxConfig:
    """The demo config on a free port, with fast push retries and canary-marked secrets."""
    demo = load_config()
    settings: dict[str, Any] = {
        "portal": portal.rstrip("/"),
        "port": 0,
        "push_retry_delay": 0.05,
        "push_timeout": 5.0,
        "secret_prefix": CANARY,
        "provider": replace(demo.provider, secret=f"{CANARY}-{demo.provider.secret}"),
        "suites": tuple(replace(s, secret=f"{CANARY}-{s.secret}") for s in demo.suites),
        **overrides,
    }
    return demo.with_overrides(**settings)


@contextmanager
def running_sandbox(portal: str, **overrides: Any) -> Iterator[SandboxHandle]:
    server = SandboxServer(config_for_tests(portal, **overrides), push_tickets=False).start()
    try:
        with requests.Session() as http:
            yield SandboxHandle(server, http)
    finally:
        server.stop()
