"""The REST SSO exchange: the portal's own time per login, excluding the upstream calls.

Each login is POST /api/v1/auth/sso/ through Django's test client against the in-process
sandbox: getuserinfo3rd (and getuserdetail3rd for snsapi_privateinfo) upstream, then the
member upsert, the user and the API token. Upstream time is measured inside the one HTTP door
(wecom.client.transport) and subtracted. Target: < 10 ms per login of the portal's own time.

    python bench/sso.py [--logins 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")
os.environ.setdefault("DEBUG", "1")  # development defaults, as in the demo
os.environ.setdefault("ISVPORTAL_VAR_DIR", tempfile.mkdtemp(prefix="isvportal-bench-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

import logging  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from corps.services import corp_authorize, provider_upsert, suite_ticket_store, suite_upsert  # noqa: E402
from sandbox.config import load_config  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from tokens.services import suite_api  # noqa: E402
from wecom.client import transport  # noqa: E402

upstream_seconds = 0.0
_request = transport.Transport.request


def timed_request(self, *args, **kwargs):
    global upstream_seconds
    started = time.perf_counter()
    try:
        return _request(self, *args, **kwargs)
    finally:
        upstream_seconds += time.perf_counter() - started


# The bench times every upstream call by wrapping the transport's method in place.
transport.Transport.request = timed_request  # type: ignore[method-assign]  # on purpose


def main() -> None:
    global upstream_seconds
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    server = SandboxServer(load_config().with_overrides(port=0, portal="http://127.0.0.1:9"),
                           push_tickets=False).start()  # fmt: skip
    sandbox = server.app.sandbox
    try:
        with override_settings(WECOM_API_BASE=server.url, REST_FRAMEWORK=_unthrottled()):
            config = sandbox.config
            provider_upsert(corpid=config.provider.corpid, secret=config.provider.secret)
            suite_config = config.suites[0]
            suite, _ = suite_upsert(
                suite_id=suite_config.suite_id, provider_corpid=config.provider.corpid,
                secret=suite_config.secret, token=suite_config.token,
                encoding_aes_key=suite_config.encoding_aes_key,
            )  # fmt: skip
            ticket = sandbox.new_suite_ticket(suite.suite_id)
            suite_ticket_store(suite=suite, ticket=ticket, pushed_at=datetime.now(UTC))
            corpid = next(iter(sandbox.corps))
            auth_code, _ = server.app.lifecycle.install(suite.suite_id, corpid, push=False)
            result = suite_api(suite).get_permanent_code(auth_code=auth_code)
            corp_authorize(suite=suite, result=result)
            members = list(sandbox.corps[corpid].members)
            client = Client()
            for scope in ("snsapi_base", "snsapi_privateinfo"):
                login(client, server, suite.suite_id, corpid, members, scope, 20)  # warm up
                total, upstream = login(
                    client, server, suite.suite_id, corpid, members, scope, args.logins
                )
                own = [t - u for t, u in zip(total, upstream, strict=True)]
                own_ms, upstream_ms = statistics.median(own), statistics.median(upstream)
                p90 = sorted(own)[int(len(own) * 0.9)]
                print(
                    f"{scope:<20} portal {own_ms:6.2f} ms/login (p90 {p90:.2f})   upstream "
                    f"{upstream_ms:6.2f} ms   ratio portal/upstream {own_ms / upstream_ms:.2f}"
                    "   target < 10 ms"
                )
    finally:
        server.stop()


def _unthrottled() -> dict:
    from django.conf import settings

    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"sso": "1000000/min"}}


def login(client, server, suite_id, corpid, members, scope, count):
    global upstream_seconds
    total, upstream = [], []
    for n in range(count):
        code = server.app.lifecycle.oauth_code(suite_id, corpid, members[n % len(members)], scope)
        upstream_seconds = 0.0
        started = time.perf_counter()
        response = client.post("/api/v1/auth/sso/", {"suite_id": suite_id, "code": code},
                               content_type="application/json", HTTP_HOST="127.0.0.1")  # fmt: skip
        total.append((time.perf_counter() - started) * 1000)
        upstream.append(upstream_seconds * 1000)
        assert response.status_code == 200, response.content
    return total, upstream


if __name__ == "__main__":
    main()
