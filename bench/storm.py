"""A storm of contact changes: every event processed exactly once, the drain time, the ack p99.

The portal runs as in a scaled-out production: 3 gunicorn web processes and 3 Celery worker
processes (solo pool, every queue) on a fresh PostgreSQL database, with RabbitMQ as the broker.
The sandbox (in this process, on its own port) is WeCom: 500 corps install the demo suite
through register codes (their create_auth callbacks processed by the workers), then the sandbox
pushes 20,000 change_contact/create_user events, one new member each, round robin over the
corps on 16 concurrent connections, and times each acknowledgement.

Exactly once is checked in both places: the sandbox's push log holds every event once, each
acknowledged on its first attempt; the database holds one event row per event, each processed
in one attempt, and one member per created user. The drain time runs from the first push to
the moment the last event is processed.

    python bench/storm.py [--events 20000] [--corps 500] [--web 3] [--workers 3]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default isvportal_bench, recreated) and RabbitMQ
(``BENCH_BROKER_URL``, default amqp://guest:guest@127.0.0.1:5672//; its queues are purged
first).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serving import ROOT, Portal
from sandbox.config import load_config
from sandbox.server import SandboxServer
from sandbox.testing import SandboxHandle

BROKER = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
EVENTS_SQL = """
    SELECT count(*), count(DISTINCT dedupe_key), count(*) FILTER (WHERE status = 'processed'),
           count(*) FILTER (WHERE attempts <> 1)
    FROM callbacks_callbackevent WHERE kind = %s
"""


def start_workers(portal: Portal, count: int) -> list[subprocess.Popen[bytes]]:
    """Empty the broker's queues of any earlier run, then start the workers."""
    celery = [sys.executable, "-m", "celery", "-A", "isvportal"]
    subprocess.run([*celery, "purge", "--force"], cwd=ROOT, env=portal.env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    workers = []
    for index in range(count):
        command = [*celery, "worker", "--pool", "solo", "--loglevel", "warning", "--hostname",
                   f"storm{index}@%h", "--without-gossip", "--without-mingle"]  # fmt: skip
        workers.append(subprocess.Popen(command, cwd=ROOT, env=portal.env))
    return workers


def counts(url: str, kind: str) -> tuple[int, int, int, int]:
    """(rows, distinct dedupe keys, processed, rows handled more than once or never)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(EVENTS_SQL, [kind]).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def wait_until(check: object, what: str, timeout: float) -> float:
    """Poll ``check`` every 0.2 s; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit(f"storm: {what} did not happen within {timeout:.0f} s")


def install(wecom: SandboxHandle, corps: int) -> None:
    """``corps`` new corps register and install the demo suite, 8 at a time."""
    template = wecom.suite.register_templates[0]

    def one(number: int) -> None:
        code = wecom.action("register_code", template_id=template, state="storm")
        registered = wecom.action(
            "register_corp", register_code=code["register_code"],
            corp_name=f"风暴企业{number:03d}", admin_name="管理员",
        )  # fmt: skip
        if not registered["create_auth"]["ok"]:
            raise SystemExit(f"storm: install {number} was not acknowledged: {registered}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(corps)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--corps", type=int, default=500)
    parser.add_argument("--web", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--workers", type=int, default=3, help="Celery worker processes")
    parser.add_argument("--connections", type=int, default=16, help="sandbox push connections")
    args = parser.parse_args()

    portal = Portal("postgres", workers=args.web, env={"CELERY_BROKER_URL": BROKER,
                                                       "SECURE_SSL_REDIRECT": "0"})  # fmt: skip
    demo = load_config()
    config = demo.with_overrides(portal=f"http://127.0.0.1:{portal.port}", port=0)
    sandbox = SandboxServer(config, push_tickets=False).start()
    portal.env["WECOM_API_BASE"] = sandbox.url
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with portal, requests.Session() as http:
            wecom = SandboxHandle(sandbox, http)
            workers = start_workers(portal, args.workers)
            wecom.push_ticket()  # processed before any install needs it
            wait_until(lambda: counts(portal.url, "suite_ticket")[2] == 1, "the ticket", 60)
            install(wecom, args.corps)
            wait_until(
                lambda: counts(portal.url, "create_auth")[2] == args.corps,
                f"{args.corps} installs", 600,
            )  # fmt: skip
            wecom.reset_logs()
            started = time.monotonic()
            storm = wecom.action("contact_storm", timeout=3600, suite_id=wecom.suite.suite_id,
                                 count=args.events, threads=args.connections)  # fmt: skip
            drained = wait_until(
                lambda: counts(portal.url, "change_contact")[2] >= args.events,
                "the drain", 1800,
            )  # fmt: skip
            time.sleep(2)  # anything processed twice would show now
            rows, distinct, processed, redone = counts(portal.url, "change_contact")
            pushes = wecom.pushes("change_contact/create_user")
            with psycopg.connect(portal.url) as conn:
                members = conn.execute(
                    "SELECT count(*) FROM corps_member WHERE userid LIKE 'storm%%'"
                ).fetchone()[0]  # type: ignore[index]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        sandbox.stop()

    pushed_once = sum(1 for p in pushes if p["ok"] and p["attempts"] == 1)
    exact = (
        storm["delivered"] == rows == distinct == processed == members == args.events
        and len(pushes) == pushed_once == args.events
        and redone == 0
    )
    push_seconds = storm["seconds"]
    drain_seconds = drained - started
    print(f"{args.events} change_contact events over {storm['corps']} corps; {args.web} gunicorn "
          f"web processes (gthread x4), {args.workers} Celery workers (solo), PostgreSQL, "
          f"RabbitMQ; sandbox pushing on {args.connections} connections")  # fmt: skip
    print(f"sandbox log   {len(pushes)} pushes, {pushed_once} acknowledged on the first attempt")
    print(f"database      {rows} event rows, {distinct} distinct, {processed} processed, "
          f"{redone} handled other than once; {members} members created")  # fmt: skip
    print(f"pushed in     {push_seconds:.1f} s  ({args.events / push_seconds:.0f} events/s)")
    print(f"ack           p50 {storm['ack_p50_ms']:.1f} ms   p99 {storm['ack_p99_ms']:.1f} ms   "
          f"max {storm['ack_max_ms']:.1f} ms")  # fmt: skip
    print(f"drained in    {drain_seconds:.1f} s  ({args.events / drain_seconds:.0f} events/s "
          f"processed)")  # fmt: skip
    print(f"exactly once  {'yes' if exact else 'NO'}")
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
