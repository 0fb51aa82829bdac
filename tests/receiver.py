"""A stand-in for the portal's callback URLs: records what the sandbox pushes."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox.config import load_config
from wecom.crypto import CallbackCipher
from wecom.events import Event, parse_event
from wecom.xml import Envelope


@dataclass
class Received:
    path: str
    receive_id: str
    to_user_name: str
    agent_id: str
    xml: str
    event: Event


class Receiver:
    """Verifies, decrypts and records every push; replies ``success`` unless told otherwise."""

    url = ""  # set once the server listens

    def __init__(self) -> None:
        config = load_config()
        self.suite_cipher = config.suites[0].cipher()
        self.provider_cipher = config.provider.cipher()
        self.received: list[Received] = []
        self.attempts = 0
        self.replies: deque[str] = deque()
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds before each answer, for a push that is still on its way

    def cipher_for(self, path: str) -> CallbackCipher:
        return (
            self.provider_cipher if path.startswith("/callbacks/provider/") else self.suite_cipher
        )

    def __call__(self, environ, start_response):
        request = Request(environ)
        time.sleep(self.delay)
        with self.lock:
            self.attempts += 1
            scripted = self.replies.popleft() if self.replies else "success"
        envelope = Envelope.parse(request.get_data())
        cipher = self.cipher_for(request.path)
        cipher.verify(
            request.args["msg_signature"],
            request.args["timestamp"],
            request.args["nonce"],
            envelope.encrypted,
        )
        xml, receive_id = cipher.decrypt(envelope.encrypted)
        if scripted == "success":
            with self.lock:
                self.received.append(
                    Received(
                        request.path,
                        receive_id,
                        envelope.to_user_name,
                        envelope.agent_id,
                        xml,
                        parse_event(xml),
                    )
                )
        return Response(scripted)(environ, start_response)

    def events(self, kind: str | None = None) -> list[Event]:
        return [r.event for r in self.received if kind is None or r.event.kind == kind]

    def last(self, kind: str) -> Event:
        return self.events(kind)[-1]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10) -> list[Event]:
        """The events of ``kind`` once ``count`` have arrived (pushes sent in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.events(kind)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.events(kind)) >= count, f"{kind}: {len(self.events(kind))} of {count}"
        return self.events(kind)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    app = Receiver()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    app.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
