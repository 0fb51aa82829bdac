"""Licence sync at scale: every corp's trial, orders and codes read from WeCom (the sandbox,
in-process) for a small and a ten times larger set of corps, each with one paid order of
``--accounts`` base accounts, all bound to members.

Reports the time per run and its ratio (target ≤ 11x for 10x the corps: linear), the WeCom calls
per corp, and how close the busiest (corp, API, minute) came to the sandbox's per-corp rate
limit, with the count of 45009 answers (must be 0).

Uses a throwaway SQLite database unless DATABASE_URL is set.

    python bench/licenses.py [--corps 100] [--accounts 100]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")
os.environ.setdefault("DEBUG", "1")  # development defaults, as in the demo
os.environ.setdefault("ISVPORTAL_VAR_DIR", tempfile.mkdtemp(prefix="isvportal-bench-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.tenancy import install, seed_suite  # noqa: E402
from corps.models import AuthorizedCorp  # noqa: E402
from licenses.models import ActiveCode  # noqa: E402
from licenses.services import corp_license_sync  # noqa: E402
from sandbox.config import load_config  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from sandbox.world import build_corp  # noqa: E402


def seed_corps(server: SandboxServer, suite, count: int, accounts: int, tag: str) -> list:
    """``count`` installed corps, each with one paid order whose codes are all bound."""
    sandbox = server.app.sandbox
    corps = []
    for index in range(count):
        people = [(f"u{n}", f"成员{n}", 1, [1], "") for n in range(accounts)]
        world = build_corp(sandbox.config.provider.corpid, f"{tag}{index}", f"{tag}{index}公司", "",
                           [], people)  # fmt: skip
        sandbox.corps[world.corpid] = world
        corp = install(server, suite, world.corpid)
        now = sandbox.now()
        with sandbox.lock:
            order = sandbox.licenses.new_order(
                corpid=world.corpid, test_corp=False, base=accounts, interop=0, months=12,
                days=0, buyer="sunyue", now=now,
            )  # fmt: skip
            sandbox.licenses.pay(order, now)
            for code, person in zip(order.codes, people, strict=True):
                sandbox.licenses.activate(sandbox.licenses.codes[code], person[0], now)
            sandbox.licenses.announce.clear()
        corps.append(corp)
    return corps


def timed_sync(server: SandboxServer, corps: list) -> tuple[float, int]:
    server.app.sandbox.calls.clear()
    started = time.perf_counter()
    for corp in corps:
        corp_license_sync(corp)
    seconds = time.perf_counter() - started
    calls = sum(c["endpoint"].startswith("license/") for c in server.app.sandbox.calls)
    return seconds, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corps", type=int, default=100, help="the small set; the large is 10x")
    parser.add_argument("--accounts", type=int, default=100, help="bound base accounts per corp")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    config = load_config().with_overrides(port=0, portal="http://127.0.0.1:9")
    server = SandboxServer(config, push_tickets=False).start()
    try:
        with override_settings(WECOM_API_BASE=server.url):
            suite = seed_suite(server)
            small = seed_corps(server, suite, args.corps, args.accounts, "小")
            large = seed_corps(server, suite, args.corps * 10, args.accounts, "大")
            small_s, small_calls = timed_sync(server, small)
            large_s, large_calls = timed_sync(server, large)
    finally:
        server.stop()
    sandbox = server.app.sandbox
    busiest = max((n for (_c, e, _m), n in sandbox.rate_counts.items() if e.startswith("license/")),
                  default=0)  # fmt: skip
    refused = sum(c.get("errcode") == 45009 for c in sandbox.calls)
    stored = ActiveCode.objects.filter(status=ActiveCode.Status.BOUND).count()
    expected = (args.corps * 11) * args.accounts
    rows = [
        ("database", connections["default"].vendor),
        (f"sync {args.corps} corps", f"{small_s:.1f} s, {small_calls / len(small):.0f} calls/corp"),
        (
            f"sync {args.corps * 10} corps",
            f"{large_s:.1f} s, {large_calls / len(large):.0f} calls/corp  "
            f"ratio {large_s / small_s:.1f}x for 10x the corps  target <= 11x",
        ),
        ("codes stored", f"{stored} of {expected}"),
        (
            "busiest corp/API/minute",
            f"{busiest} calls (limit {sandbox.rate_limit}), {refused} answered 45009",
        ),
        ("corps", f"{AuthorizedCorp.objects.count()}"),
    ]
    for label, value in rows:
        print(f"{label:<26} {value}")


if __name__ == "__main__":
    main()
