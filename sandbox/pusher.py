"""Pushes signed, encrypted callbacks to the portal, as WeCom does (API.md §4).

Command events go to /callbacks/suite/<suite_id>/ (receiveid = suite_id), app events to
/callbacks/data/<suite_id>/ (receiveid = the corp's corpid), system events to
/callbacks/provider/<provider_corpid>/ (receiveid = provider corpid). A delivery that fails
(connection error, timeout, non-200, or not ``success`` where that is required) is tried again,
three attempts in all. Every delivery is logged on the sandbox.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from sandbox.engine import Sandbox
from wecom.crypto import CallbackCipher
from wecom.xml import Envelope, render

log = logging.getLogger("sandbox.pusher")
ATTEMPTS = 3


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    status: int | None
    reply: str

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "attempts": self.attempts,
            "status": self.status,
            "reply": self.reply,
        }


def describe(fields: dict[str, Any]) -> str:
    """A short label for logs: create_auth, change_contact/create_user, event/enter_agent."""
    kind = fields.get("InfoType") or fields.get("Event") or fields.get("MsgType") or "?"
    detail = fields.get("ChangeType")
    return f"{kind}/{detail}" if detail else str(kind)


class Pusher:
    def __init__(self, sandbox: Sandbox, session: requests.Session | None = None) -> None:
        self.sandbox = sandbox
        self.session = session or requests.Session()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._background: list[threading.Thread] = []
        self._background_lock = threading.Lock()

    # --- the three callback URLs -----------------------------------------------------------

    def command(self, suite_id: str, fields: dict[str, Any]) -> Delivery:
        suite = self.sandbox.config.suite(suite_id)
        assert suite is not None, suite_id
        url = f"{self.sandbox.config.portal}/callbacks/suite/{suite_id}/"
        return self._deliver(url, suite.cipher(), suite_id, suite_id, "", fields, True)

    def data(self, suite_id: str, corpid: str, agentid: int, fields: dict[str, Any]) -> Delivery:
        suite = self.sandbox.config.suite(suite_id)
        assert suite is not None, suite_id
        url = f"{self.sandbox.config.portal}/callbacks/data/{suite_id}/"
        return self._deliver(url, suite.cipher(), corpid, corpid, str(agentid), fields, False)

    def system(self, fields: dict[str, Any]) -> Delivery:
        provider = self.sandbox.config.provider
        url = f"{self.sandbox.config.portal}/callbacks/provider/{provider.corpid}/"
        return self._deliver(
            url, provider.cipher(), provider.corpid, provider.corpid, "", fields, True
        )

    def _deliver(
        self,
        url: str,
        cipher: CallbackCipher,
        receive_id: str,
        to_user_name: str,
        agent_id: str,
        fields: dict[str, Any],
        needs_success: bool,
    ) -> Delivery:
        document = render(fields)
        status: int | None = None
        reply = ""
        attempt = 0
        for attempt in range(1, ATTEMPTS + 1):
            # WeCom signs each delivery afresh, so a retry is not a byte-for-byte replay.
            timestamp, nonce = str(int(self.sandbox.now())), secrets.token_hex(8)
            sealed = cipher.seal(document, receive_id, timestamp=timestamp, nonce=nonce)
            body = Envelope(to_user_name, agent_id, sealed.encrypted).render()
            params = {"msg_signature": sealed.signature, "timestamp": timestamp, "nonce": nonce}
            try:
                response = self.session.post(
                    url,
                    params=params,
                    data=body.encode(),
                    headers={"Content-Type": "text/xml"},
                    timeout=self.sandbox.config.push_timeout,
                )
                status, reply = response.status_code, response.text[:200]
                ok = status == 200 and (reply == "success" or not needs_success)
            except requests.RequestException as exc:
                status, reply, ok = None, type(exc).__name__, False
            if ok:
                break
            if attempt < ATTEMPTS:
                time.sleep(self.sandbox.config.push_retry_delay)
        delivery = Delivery(ok, attempt, status, reply)
        self.sandbox.record(
            self.sandbox.pushes,
            {"event": describe(fields), "url": url, "receive_id": receive_id, **delivery.as_json()},
        )
        if not ok:
            log.warning("push failed", extra={"event": describe(fields), "status": status})
        return delivery

    # --- suite tickets ---------------------------------------------------------------------

    def push_suite_ticket(self, suite_id: str) -> Delivery:
        ticket = self.sandbox.new_suite_ticket(suite_id)
        with self.sandbox.lock:
            self.sandbox.tickets_pushed[suite_id] += 1
        fields = {
            "SuiteId": suite_id,
            "InfoType": "suite_ticket",
            "TimeStamp": int(self.sandbox.now()),
            "SuiteTicket": ticket,
        }
        return self.command(suite_id, fields)

    def start(self) -> None:
        """Push a ticket for every suite now and then every ``ticket_interval`` seconds."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._ticket_loop, name="suite-tickets", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.finish_background()

    # --- pushes that race what caused them --------------------------------------------------

    def in_background(self, target: Callable[..., object], *args: object) -> None:
        """Push from a thread of its own, as WeCom does when a push races the page or answer
        that caused it."""
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._background_lock:
            self._background = [t for t in self._background if t.is_alive()] + [thread]
        thread.start()

    def finish_background(self) -> None:
        """Wait for the pushes still on their way: whoever stops the sandbox (a test, before
        its database is flushed) then knows the portal is not still handling one."""
        with self._background_lock:
            pending, self._background = self._background, []
        for thread in pending:
            thread.join(timeout=30)

    def _ticket_loop(self) -> None:
        while not self._stop.is_set():
            for suite in self.sandbox.config.suites:
                self.push_suite_ticket(suite.suite_id)
            self._stop.wait(self.sandbox.config.ticket_interval)
