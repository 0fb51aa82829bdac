"""Lean request paths: the member API, the JS-SDK endpoint and the health endpoints under
gunicorn, each against a bare view on the same server and database.

- bare: Django through the same middleware, one SELECT of a row, ``success``;
- ``/api/v1/me/``, ``/api/v1/corp/members/`` (a page of 50 of 200 members) and
  ``/api/v1/jssdk/config/`` (warm: both tickets cached), with a member's bearer token;
- ``/healthz/live`` (no I/O), ``/healthz`` as deployed (readiness reused for
  HEALTHZ_CACHE_SECONDS) and ``/healthz`` with every check run on every call (the setting at 0,
  a restart of the same server).

Each is loaded by wrk from its own process (GET, keep-alive) for --seconds; reports req/s, p99,
the ratio to the bare view, the server CPU per request, and the queries each request makes
(counted once in this process with Django's test client). WeCom is the sandbox, in this process.
PostgreSQL (BENCH_DATABASE_URL, default isvportal_bench, recreated); Redis db 12 when it answers.

    python bench/api.py [--seconds 5] [--connections 8]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serving import Load, Portal

PAGE_URL = "https://app.example.com/page?x=1"


def seed(wecom: Any) -> str:
    """A corp installed from the sandbox with 200 members; a member's bearer token."""
    from django.test.utils import override_settings

    from bench.tenancy import install, seed_suite
    from corps.contacts import member_upsert
    from oauth.services import api_token_issue, member_user_ensure

    with override_settings(WECOM_API_BASE=wecom.url):
        suite = seed_suite(wecom)
        corp = install(wecom, suite, next(iter(wecom.app.sandbox.corps)))
    members = [
        member_upsert(corp=corp, open_userid=f"bench{n:04d}", userid=f"u{n}", name=f"Member {n}")
        for n in range(200)
    ]
    member_user_ensure(members[0])
    token, _row = api_token_issue(member=members[0])
    return token


def queries(path: str, token: str, **overrides: object) -> int:
    """The queries one warm request makes, counted in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_FORWARDED_PROTO="https")
    wecom = os.environ["WECOM_API_BASE"]
    with override_settings(ALLOWED_HOSTS=["*"], WECOM_API_BASE=wecom, **overrides):
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    portal = Portal("postgres", env={"JSSDK_TRUSTED_DOMAINS": "app.example.com"})
    os.environ.update(portal.env)  # this process seeds and counts queries on the same database
    import django

    django.setup()
    from sandbox.config import load_config
    from sandbox.server import SandboxServer

    config = load_config().with_overrides(port=0, portal="http://127.0.0.1:9")
    wecom = SandboxServer(config, push_tickets=False).start()
    portal.env["WECOM_API_BASE"] = os.environ["WECOM_API_BASE"] = wecom.url
    with portal:
        token = seed(wecom)
        auth = {"Authorization": f"Bearer {token}"}
        targets = {
            "bare read": ("/bench/read/", {}),
            "GET /api/v1/me/": ("/api/v1/me/", auth),
            "GET /api/v1/corp/members/": ("/api/v1/corp/members/", auth),
            "GET /api/v1/jssdk/config/": (f"/api/v1/jssdk/config/?url={PAGE_URL}", auth),
            "GET /healthz/live": ("/healthz/live", {}),
            "GET /healthz (cached)": ("/healthz", {}),
        }
        counts = {name: queries(path, token) for name, (path, _) in targets.items()}
        loads: dict[str, Load] = {}
        for name, (path, headers) in targets.items():
            portal.wrk_get(path, seconds=1, connections=args.connections, headers=headers)
            loads[name] = portal.wrk_get(
                path, seconds=args.seconds, connections=args.connections, headers=headers
            )
        portal.serve(HEALTHZ_CACHE_SECONDS="0")
        deep = "GET /healthz (every check)"
        portal.wrk_get("/healthz", seconds=1, connections=args.connections, headers={})
        loads[deep] = portal.wrk_get(
            "/healthz", seconds=args.seconds, connections=args.connections, headers={}
        )
        counts[deep] = queries("/healthz", token, HEALTHZ_CACHE_SECONDS=0)
    wecom.stop()
    print(f"gunicorn 2 gthread workers x 4 threads, PostgreSQL, broker {portal.broker}; "
          f"wrk -c{args.connections}, {args.seconds:g} s each")  # fmt: skip
    bare = loads["bare read"].rate
    for name, load in loads.items():
        app, db = load.cpu_per_request_ms
        print(f"{name:<28} {load.rate:7.0f} req/s  p99 {load.p99_ms:6.2f} ms  "
              f"ratio {load.rate / bare:4.2f}  queries {counts[name]}  "
              f"cpu/req app {app:.2f} ms db {db:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
