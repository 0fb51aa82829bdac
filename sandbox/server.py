"""Run the sandbox: in its own process (``python -m sandbox``) or in a thread (tests)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.app import SandboxApp
from sandbox.config import SandboxConfig


class SandboxServer:
    """A threaded HTTP server around one SandboxApp, plus its suite_ticket pusher."""

    def __init__(self, config: SandboxConfig, *, push_tickets: bool = True) -> None:
        self.app = SandboxApp(config)
        self.push_tickets = push_tickets
        self._server: BaseWSGIServer = make_server(
            config.host, config.port, self.app, threaded=True
        )
        self._thread: threading.Thread | None = None
        self.app.sandbox.public_url = self.url

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        if self.push_tickets:
            self.app.pusher.start()
        try:
            self._server.serve_forever(poll_interval)
        finally:
            self.app.pusher.stop()

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() quick, which matters for tests.
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.02,), name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        # Pushes on their way may call back into the sandbox: let them end while it answers.
        self.app.pusher.finish_background()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
