from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from isvportal.celery import app as celery_app
from isvportal.logging import RedactingJsonFormatter
from sandbox.testing import CANARY, running_sandbox
from tests.receiver import running_receiver
from wecom.xml import Envelope, render

if TYPE_CHECKING:
    from corps.models import AuthorizedCorp

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def short_lived_connections():
    """Threads (live server requests, concurrency tests) must not keep database connections
    open after their work, or the test database cannot be dropped at the end."""
    from django.db import connections

    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session", autouse=True)
def eager_tasks():
    """Tasks run inline in tests (set once Celery has read Django's settings, or that read
    would undo it); the fault drills start real workers of their own."""
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    assert celery_app.conf.task_always_eager


def fixture_text(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


@pytest.fixture
def event_xml():
    """Load a captured event: ``event_xml("create_auth__market")``."""
    return lambda name: fixture_text(f"events/{name}.xml")


class CanaryWatch(logging.Handler):
    """Formats every record the way the portal writes logs, and keeps any that leak the canary."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(RedactingJsonFormatter("%(message)s"))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        if CANARY in line:
            self.leaks.append(f"{record.name}: {line[:300]}")


@pytest.fixture(scope="session", autouse=True)
def canary_is_never_logged():
    """Every secret the test sandbox issues carries CANARY; no log line may ever show it."""
    watch = CanaryWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(previous)
    assert watch.leaks == [], "a secret reached the logs:\n" + "\n".join(watch.leaks)


@pytest.fixture(autouse=True)
def empty_cache():
    """The database rolls back after each test; the cache must not outlive it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def compiled_sql(monkeypatch) -> list[str]:
    """The SQL Django compiles from querysets while the test runs, in order."""
    from django.db.models.sql.compiler import SQLCompiler

    compiled: list[str] = []
    real = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        sql, params = real(self, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return compiled


@pytest.fixture
def corp_rows(db):
    """A provider whose one suite is installed in one corp, wpcorp: rows only, no sandbox
    behind them. The corp."""
    from corps.models import AuthorizedCorp, Provider, Suite

    provider = Provider.objects.create(corpid="wwp", secret="s")
    suite = Suite.objects.create(
        provider=provider, suite_id="ww1", secret="s", token="t", encoding_aes_key="k" * 43
    )
    return AuthorizedCorp.objects.create(suite=suite, corpid="wpcorp", permanent_code="p")


@pytest.fixture
def service_key(corp_rows):
    """The key of an owner-role service account of corp_rows' provider that may relay any path."""
    from oauth.keys import service_key_create
    from oauth.models import Role

    key, _row = service_key_create(
        name="owner", provider=corp_rows.suite.provider, role=Role.OWNER, relay_paths=["*"]
    )
    return key


@pytest.fixture
def make_sandbox():
    """Start sandboxes that push to the given portal URL; all are stopped after the test."""
    with ExitStack() as stack:
        yield lambda portal="http://127.0.0.1:9", **overrides: stack.enter_context(
            running_sandbox(portal, **overrides)
        )


@pytest.fixture
def receiver():
    """A stand-in for the portal's callback URLs that verifies and records every push."""
    with running_receiver() as app:
        yield app


def seed_from_sandbox(wecom):
    """The portal's provider and suite, configured as the sandbox knows them."""
    from console.demo import seed_sandbox_tenants

    provider, suites = seed_sandbox_tenants(wecom.config)
    return provider, suites[0]


class ISV:
    """The portal configured for a running sandbox whose pushes go to a stand-in receiver:
    helpers store what WeCom pushes, as the callback endpoints would."""

    def __init__(self, wecom, receiver) -> None:
        self.wecom, self.receiver = wecom, receiver
        self.provider, self.suite = seed_from_sandbox(wecom)

    def store_ticket(self) -> str:
        from datetime import UTC, datetime

        from corps.services import suite_ticket_store

        self.wecom.push_ticket(self.suite.suite_id)
        event = self.receiver.last("suite_ticket")
        suite_ticket_store(
            suite=self.suite,
            ticket=event.suite_ticket,
            pushed_at=datetime.fromtimestamp(event.timestamp, UTC),
        )
        self.suite.refresh_from_db()
        return event.suite_ticket

    def install(self, index: int = 0):
        from corps.services import corp_authorize
        from tokens.services import suite_api

        corpid = self.wecom.corps[index]
        auth_code = self.wecom.action("create_auth", suite_id=self.suite.suite_id, corpid=corpid)
        result = suite_api(self.suite).get_permanent_code(auth_code=auth_code["auth_code"])
        corp, _ = corp_authorize(suite=self.suite, result=result)
        return corp


@pytest.fixture
def isv(make_sandbox, receiver, settings):
    """Needs a database marker on the test. The sandbox plays WeCom at WECOM_API_BASE."""
    wecom = make_sandbox(portal=receiver.url)
    settings.WECOM_API_BASE = wecom.url
    portal = ISV(wecom, receiver)
    portal.store_ticket()
    return portal


# --- the portal served over HTTP, with the sandbox pushing to it, as WeCom does ---------------
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
        from corps.models import AuthorizedCorp

        return AuthorizedCorp.objects.get(suite=self.suite, corpid=corpid)

    def oauth_code(self, corp_index: int, userid: str, scope: str = "snsapi_base") -> str:
        corpid = self.wecom.corps[corp_index]
        result = self.wecom.action(
            "oauth_code", suite_id=self.suite.suite_id, corpid=corpid, userid=userid, scope=scope
        )
        return str(result["code"])

    def act(self, action: str, corp: AuthorizedCorp, /, **data: Any) -> dict[str, Any]:
        result = self.wecom.action(action, suite_id=self.suite.suite_id, corpid=corp.corpid, **data)
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


# --- a real browser: Debian's Chromium driven by Selenium -----------------------------------

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser_language() -> str:
    """The browser's Accept-Language; a test parametrizes it to see the pages in English."""
    return "zh-CN,zh"


@pytest.fixture
def chrome(tmp_path, browser_language):
    """Headless Chromium asking for Chinese pages (or browser_language). Skipped where it is not
    installed, unless REQUIRE_BROWSER=1 (CI installs it and sets that)."""
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but chromium/chromedriver are not installed")
        pytest.skip("no chromium/chromedriver here")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1360,1100",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": browser_language})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def save(chrome, name: str, *, in_readme: bool = True) -> Path:
    """A screenshot in var/artifacts/; with UPDATE_SCREENSHOTS=1 the README's pictures
    (in_readme) are also replaced in docs/screenshots/."""
    artifacts = Path(__file__).resolve().parents[1] / "var" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    chrome.save_screenshot(str(path))
    if in_readme and os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, FIXTURES.parent.parent / "docs" / "screenshots" / f"{name}.png")
    return path
