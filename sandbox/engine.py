"""The sandbox's state and rules: credentials, single-use codes, authorizations, faults, logs.

Everything lives in memory behind one lock; the clock can be moved forward over the control API
so tests can expire tokens and codes without waiting.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.editions import EditionBook
from sandbox.errors import ApiError
from sandbox.licensing import LicenseBook
from sandbox.media import Media
from sandbox.webhook_inbox import Inbox
from sandbox.world import Corp, Member, build_corp, demo_corps, open_userid

TICKET_VALIDITY = 1800
TOKEN_LIFETIME = 7200
PRE_AUTH_CODE_LIFETIME = 1200
AUTH_CODE_LIFETIME = 600
OAUTH_CODE_LIFETIME = 300
LOGIN_CODE_LIFETIME = 300
USER_TICKET_LIFETIME = 1800
REGISTER_CODE_LIFETIME = 600
REGISTER_INFO_LIFETIME = 86400
DEFAULT_RATE_LIMIT = 10_000  # per corp and API, per minute (API.md §7)
FIRST_AGENTID = 1000002


@dataclass
class Credential:
    value: str
    kind: str  # suite | provider | corp | jsapi | agent_config
    owner: tuple[str, ...]  # (suite_id,) | (provider_corpid,) | (suite_id, corpid)
    expires_at: float
    revoked: bool = False


@dataclass
class Code:
    value: str
    kind: str
    payload: dict[str, Any]
    expires_at: float
    used: bool = False


@dataclass
class Authorization:
    suite_id: str
    corpid: str
    agentid: int
    permanent_code: str
    auth_type: int = 0  # 0 formal, 1 test
    state: str = ""
    active: bool = True
    register_code: str = ""
    installed_at: float = 0.0  # the first install: a reinstall keeps it (the licence trial)
    # the paid edition (edition_info): what the corp bought, or its trial
    edition_id: str = ""
    edition_name: str = ""
    app_status: int = 3
    user_limit: int = 200
    edition_expires: float = 0.0
    scope: dict[str, list[Any]] | None = None  # the visible range set with agent/set_scope
    closed: bool = False  # the corp's admin disabled the app
    publish_status: int = 1  # a 代开发 app: 0 not created, 1 in development, 2 online, 3 draft


@dataclass
class RegisterCode:
    code: str
    template_id: str
    suite_id: str
    state: str = ""
    corp_name: str = ""
    admin_name: str = ""
    admin_mobile: str = ""
    corpid: str = ""
    admin_userid: str = ""
    created_at: float = 0.0


@dataclass
class Fault:
    """What the next ``remaining`` calls to ``endpoint`` suffer. ``delay_ms`` holds the call
    before it is answered; ``after_ms`` holds the answer after the call took effect (a code is
    spent, a token issued), as when an answer is slow on its way back."""

    endpoint: str
    remaining: int
    errcode: int = 0
    delay_ms: int = 0
    after_ms: int = 0
    http_status: int = 0  # answer with this HTTP status instead (a gateway error)
    drop: bool = False  # cut the connection after part of the answer
    corpid: str = ""  # only calls about this corp, when set


class DropConnection(Exception):
    """Answer with a truncated body: the connection breaks mid-answer."""


@dataclass
class Sandbox:
    config: SandboxConfig
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock_offset: float = 0.0
    corps: dict[str, Corp] = field(default_factory=dict)
    tickets: dict[str, deque[tuple[str, float]]] = field(default_factory=dict)  # the valid two
    tickets_pushed: Counter[str] = field(default_factory=Counter)  # suite_id → pushes sent
    credentials: dict[str, Credential] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    authorizations: dict[tuple[str, str], Authorization] = field(default_factory=dict)
    register_codes: dict[str, RegisterCode] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    rate_limit: int = DEFAULT_RATE_LIMIT
    token_lifetime: int = TOKEN_LIFETIME  # shorter when WeCom retires tokens early
    rate_counts: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    calls: list[dict[str, Any]] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)  # endpoint → calls being answered
    pushes: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)  # what the inbox received
    inbox: Inbox = field(default_factory=Inbox)
    licenses: LicenseBook = field(default_factory=LicenseBook)
    editions: EditionBook = field(default_factory=EditionBook)
    openid_migrations: dict[str, set[int]] = field(default_factory=dict)  # corpid → types done
    media: dict[str, Media] = field(default_factory=dict)  # media_id → an upload
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # jobid → a batch job's result
    flash: str = ""  # the control page's one-time message, kept here so no URL carries it
    public_url: str = ""  # where the browser reaches the sandbox (links it hands out)

    def __post_init__(self) -> None:
        provider = self.config.provider.corpid
        staff = build_corp(
            provider,
            "演示服务商",
            "演示服务商科技有限公司",
            "IT服务",
            ["客户成功部"],
            [("sunyue", "孙悦", 2, [1], "管理员"), ("machao", "马超", 1, [2], "客户经理")],
        )
        staff.corpid = provider  # the provider's own corp is addressed by its plain corpid
        self.provider_corp = staff
        if self.config.seed_demo_corps:
            for corp in demo_corps(provider):
                self.corps[corp.corpid] = corp
        for suite in self.config.suites:
            self.tickets[suite.suite_id] = deque(maxlen=2)

    def new_secret(self, size: int = 32) -> str:
        return self.config.secret_prefix + secrets.token_urlsafe(size)

    # --- time ------------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds

    # --- suite tickets ---------------------------------------------------------------------

    def new_suite_ticket(self, suite_id: str) -> str:
        ticket = self.new_secret()
        with self.lock:
            self.tickets[suite_id].append((ticket, self.now()))
        return ticket

    def ticket_is_valid(self, suite_id: str, ticket: str) -> bool:
        """Only the newest ticket, or the one before it, and only within 30 minutes."""
        now = self.now()
        return any(
            secrets.compare_digest(value, ticket) and now - issued < TICKET_VALIDITY
            for value, issued in self.tickets.get(suite_id, ())
        )

    # --- credentials -----------------------------------------------------------------------

    def issue_credential(
        self, kind: str, owner: tuple[str, ...], lifetime: int | None = None
    ) -> Credential:
        lifetime = self.token_lifetime if lifetime is None else lifetime
        credential = Credential(self.new_secret(48), kind, owner, self.now() + lifetime)
        self.credentials[credential.value] = credential
        return credential

    def current_credential(self, kind: str, owner: tuple[str, ...]) -> Credential | None:
        """The newest unexpired credential, for APIs that hand out the same one while valid."""
        now = self.now()
        live = [
            c
            for c in self.credentials.values()
            if c.kind == kind and c.owner == owner and not c.revoked and c.expires_at > now
        ]
        return max(live, key=lambda c: c.expires_at, default=None)

    def check_credential(
        self, value: str | None, kinds: tuple[str, ...], *, missing: int, invalid: int, expired: int
    ) -> Credential:
        if not value:
            raise ApiError(missing, "access_token missing")
        credential = self.credentials.get(value)
        if credential is None or credential.kind not in kinds or credential.revoked:
            raise ApiError(invalid, "invalid access_token")
        if credential.expires_at <= self.now():
            raise ApiError(expired, "access_token expired")
        return credential

    def revoke_corp_credentials(self, corpid: str, suite_id: str | None = None) -> int:
        revoked = 0
        for credential in self.credentials.values():
            if (
                credential.kind in ("corp", "jsapi", "agent_config")
                and credential.owner[1] == corpid
                and (suite_id is None or credential.owner[0] == suite_id)
                and not credential.revoked
            ):
                credential.revoked = True
                revoked += 1
        return revoked

    # --- single-use codes ------------------------------------------------------------------

    def issue_code(self, kind: str, payload: dict[str, Any], lifetime: int) -> str:
        code = Code(self.new_secret(), kind, payload, self.now() + lifetime)
        self.codes[code.value] = code
        return code.value

    def find_code(self, kind: str, value: str | None, *, invalid: int, expired: int) -> Code:
        code = self.codes.get(value or "")
        if code is None or code.kind != kind or code.used:
            raise ApiError(invalid, f"invalid {kind}")
        if code.expires_at <= self.now():
            raise ApiError(expired, f"{kind} expired")
        return code

    def consume_code(self, kind: str, value: str | None, *, invalid: int, expired: int) -> Code:
        code = self.find_code(kind, value, invalid=invalid, expired=expired)
        code.used = True
        return code

    # --- authorizations --------------------------------------------------------------------

    def corp(self, corpid: str) -> Corp | None:
        if corpid == self.provider_corp.corpid:
            return self.provider_corp
        return self.corps.get(corpid)

    def authorize(
        self, suite_id: str, corpid: str, *, state: str = "", auth_type: int = 0
    ) -> tuple[Authorization, str]:
        """Install (or re-install) ``suite_id`` in ``corpid``: a fresh permanent code and a
        single-use auth_code that exchanges for it."""
        with self.lock:
            existing = self.authorizations.get((suite_id, corpid))
            agentid = existing.agentid if existing else FIRST_AGENTID + len(self.authorizations)
            authorization = Authorization(
                suite_id=suite_id,
                corpid=corpid,
                agentid=agentid,
                permanent_code=self.new_secret(40),
                auth_type=auth_type,
                state=state,
                installed_at=existing.installed_at if existing else self.now(),
                edition_id="SANDBOX-TEST" if auth_type else "SANDBOX-PRO",
                edition_name="测试版" if auth_type else "专业版",
                app_status=5 if auth_type else 3,
                edition_expires=self.now() + 365 * 86400,
            )
            self.authorizations[(suite_id, corpid)] = authorization
            return authorization, self.new_auth_code(authorization)

    def new_auth_code(self, authorization: Authorization) -> str:
        payload = {"suite_id": authorization.suite_id, "corpid": authorization.corpid}
        return self.issue_code("auth_code", payload, AUTH_CODE_LIFETIME)

    def active_authorization(self, suite_id: str, corpid: str) -> Authorization | None:
        authorization = self.authorizations.get((suite_id, corpid))
        return authorization if authorization and authorization.active else None

    def authorization_for(self, suite_id: str, corpid: str, permanent_code: str) -> Authorization:
        authorization = self.active_authorization(suite_id, corpid)
        if authorization is None:
            if (suite_id, corpid) in self.authorizations:
                raise ApiError(48004, "authorization has been cancelled")
            raise ApiError(40084, "invalid permanent_code")
        if not secrets.compare_digest(authorization.permanent_code, permanent_code or ""):
            raise ApiError(40084, "invalid permanent_code")
        return authorization

    def cancel(self, suite_id: str, corpid: str) -> Authorization:
        with self.lock:
            authorization = self.active_authorization(suite_id, corpid)
            if authorization is None:
                raise ApiError(48004, "corp has not authorized this suite")
            authorization.active = False
            self.revoke_corp_credentials(corpid, suite_id)
            return authorization

    def reset_permanent_code(self, suite_id: str, corpid: str) -> str:
        """代开发 secret reset: the old permanent code stops working at once."""
        with self.lock:
            authorization = self.active_authorization(suite_id, corpid)
            if authorization is None:
                raise ApiError(48004, "corp has not authorized this suite")
            authorization.permanent_code = self.new_secret(40)
            self.revoke_corp_credentials(corpid, suite_id)
            return self.new_auth_code(authorization)

    def open_userid(self, suite_id: str, corpid: str, userid: str) -> str:
        return open_userid(suite_id, corpid, userid)

    def member_by_any_id(self, suite_id: str, corp: Corp, userid: str) -> Member | None:
        """Third-party apps may name a member by userid or by its open_userid."""
        member = corp.members.get(userid)
        if member is not None:
            return member
        return next(
            (
                m
                for m in corp.members.values()
                if open_userid(suite_id, corp.corpid, m.userid) == userid
            ),
            None,
        )

    # --- rate limits, faults, logs ---------------------------------------------------------

    def over_rate_limit(self, corpid: str, endpoint: str) -> bool:
        minute = int(self.now() // 60)
        with self.lock:
            key = (corpid, endpoint, minute)
            self.rate_counts[key] += 1
            return self.rate_counts[key] > self.rate_limit

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, endpoint: str, corpid: str = "") -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.endpoint == endpoint
                    and fault.remaining > 0
                    and fault.corpid in ("", corpid)
                ):
                    fault.remaining -= 1
                    return fault
            return None

    def record(self, log: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        with self.lock:
            log.append({"seq": len(log) + 1, "time": round(self.now(), 3), **entry})

    @contextmanager
    def locked(self) -> Iterator[Sandbox]:
        with self.lock:
            yield self
