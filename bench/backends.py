"""The ISV's services on the platform, each figure against a baseline of the same run.

- Central credentials: 4 processes × 250 threads ask ``GET /api/v1/corps/<corpid>/access-token/``
  of a cold corp token at the same moment while WeCom (the sandbox) takes a second to answer →
  upstream calls (must be 1), distinct tokens (must be 1), p50/p99 latency; then the same crowd
  asks the warm token (the baseline). The portal is served in-process by a threaded WSGI server.
- Webhook fan-out: 10,000 events published (as the worker publishes a processed callback) to 3
  endpoints while 8 delivery threads (as Celery workers of the webhooks queue) deliver them to a
  local receiver → deliveries per second, and the delay from publication to the receiver's 2xx
  (p50/p99), as a ratio against the callback ack time (store-then-acknowledge of a real signed and
  encrypted callback, POSTed to the same portal, measured in the same run). Neither the broker's
  hop nor the handler's own work is in the delay: it is the webhook path alone.

Uses a throwaway SQLite database, or a fresh PostgreSQL database at BENCH_DATABASE_URL
(recommended for the fan-out: SQLite takes one writer at a time; on PostgreSQL the portal's
threads share a psycopg pool of 20), the local-memory cache unless REDIS_URL is set.

    python bench/backends.py [--events 10000] [--endpoints 3] [--senders 8]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def asker(url: str, key: str, threads: int) -> None:
    """One process of the crowd: ready, wait for go, every thread asks once, report."""
    import requests

    answers: list[tuple[str, float]] = []
    gate = threading.Event()

    def ask() -> None:
        session = requests.Session()
        gate.wait()
        started = time.perf_counter()
        try:
            reply = session.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            token = reply.json().get("access_token") or f"HTTP {reply.status_code}"
        except requests.RequestException as error:  # counted as a failed ask, not a crash
            token = f"error {type(error).__name__}"
        answers.append((token, (time.perf_counter() - started) * 1000))

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    print("ready", flush=True)
    sys.stdin.readline()
    gate.set()
    for worker in workers:
        worker.join()
    print(json.dumps(answers), flush=True)


def crowd(url: str, key: str, processes: int, threads: int) -> list[tuple[str, float]]:
    command = [sys.executable, __file__, "--asker", url, key, str(threads)]
    started = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    for process in started:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in started:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    answers: list[tuple[str, float]] = []
    for process in started:
        out, _ = process.communicate(timeout=300)
        answers += [tuple(a) for a in json.loads(out.strip().splitlines()[-1])]
    return answers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=250, help="per process")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--acks", type=int, default=300)
    args = parser.parse_args()

    from bench.serving import recreate_database

    if bench_database := os.environ.get("BENCH_DATABASE_URL"):  # PostgreSQL, fresh each run
        recreate_database(bench_database)
        os.environ["DATABASE_URL"] = bench_database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("ISVPORTAL_VAR_DIR", tempfile.mkdtemp(prefix="isvportal-bench-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # One server process answers the whole crowd on a thread per connection; as under
        # gunicorn, its threads share a pool (waiters hand their connection back while they wait).
        os.environ.setdefault("DATABASE_POOL", "1")
        os.environ.setdefault("DATABASE_POOL_SIZE", "20")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test.utils import override_settings
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Request, Response

    from bench.serving import Callbacks
    from bench.tenancy import install, seed_suite
    from callbacks.models import CallbackEvent
    from sandbox.config import load_config
    from sandbox.engine import Fault
    from sandbox.server import SandboxServer
    from tokens.services import corp_credentials_drop
    from webhooks import services
    from webhooks.models import Delivery, Message
    from webhooks.services import endpoint_create, publish

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    config = load_config().with_overrides(port=0, portal="http://127.0.0.1:9")
    wecom = SandboxServer(config, push_tickets=False).start()
    portal = make_server("127.0.0.1", 0, WSGIHandler(), threaded=True)
    portal.socket.listen(2048)  # the whole crowd connects at once (werkzeug's default is 128)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{portal.server_port}"

    arrived: dict[str, float] = {}
    lock = threading.Lock()

    @Request.application
    def receiver(request: Request) -> Response:
        with lock:
            arrived.setdefault(f"{request.path}:{request.headers['webhook-id']}", time.time())
        return Response(status=204)

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"  # a receiver that keeps connections open, as most do

    inbox = make_server("127.0.0.1", 0, receiver, threaded=True, request_handler=KeepAlive)
    threading.Thread(target=inbox.serve_forever, daemon=True).start()
    try:
        with override_settings(WECOM_API_BASE=wecom.url, ALLOWED_HOSTS=["*"]):
            from oauth.keys import service_key_create

            suite = seed_suite(wecom)
            corp = install(wecom, suite, next(iter(wecom.app.sandbox.corps)))
            key, _row = service_key_create(name="bench", provider=suite.provider)
            url = f"{base}/api/v1/corps/{corp.corpid}/access-token/"

            corp_credentials_drop(corp=corp)
            cache.clear()
            wecom.app.sandbox.calls.clear()
            wecom.app.sandbox.add_fault(
                Fault(endpoint="service/get_corp_token", remaining=1, after_ms=1000)
            )
            connections.close_all()
            cold = crowd(url, key, args.processes, args.threads)
            upstream = sum(
                c["endpoint"] == "service/get_corp_token" for c in wecom.app.sandbox.calls
            )
            warm = crowd(url, key, args.processes, args.threads)

            # callback ack baseline: real sealed callbacks, stored then acknowledged
            import requests

            http = requests.Session()
            callbacks, acks = Callbacks(), []
            for _n in range(args.acks):
                path, body = callbacks.next()
                started = time.perf_counter()
                reply = http.post(f"{base}{path}", data=body, timeout=30)
                acks.append((time.perf_counter() - started) * 1000)
                assert reply.text == "success", reply.text
            CallbackEvent.objects.all().delete()

            for n in range(args.endpoints):
                endpoint_create(
                    provider=suite.provider, url=f"http://127.0.0.1:{inbox.server_port}/{n}",
                    internal=True,
                )  # fmt: skip
            services.queue = lambda delivery_ids: None  # the sender threads below are the workers
            published = threading.Event()

            def publisher() -> None:
                for n in range(args.events):
                    publish(
                        provider=suite.provider, type="change_contact.update_user",
                        data={"userid": "lina", "n": n}, suite=suite, corpid=corp.corpid,
                    )  # fmt: skip
                published.set()
                connection.close()

            work: queue.Queue[int | None] = queue.Queue()

            def dispatcher() -> None:
                """The broker's part: each due delivery handed to one sender, once."""
                handed: set[int] = set()
                while True:
                    due = [d for d in services.due_deliveries(django.utils.timezone.now(), 500)
                           if d not in handed]  # fmt: skip
                    for delivery_id in due:
                        handed.add(delivery_id)
                        work.put(delivery_id)
                    now = django.utils.timezone.now()
                    idle = not due and published.is_set() and work.empty()
                    if idle and not services.due_deliveries(now, 1):
                        break
                    time.sleep(0.005 if due else 0.02)
                for _ in range(args.senders):
                    work.put(None)
                connection.close()

            def sender() -> None:
                """A worker of the webhooks queue."""
                while (delivery_id := work.get()) is not None:
                    services.deliver(delivery_id)
                connection.close()

            started = time.perf_counter()
            threads = [threading.Thread(target=publisher), threading.Thread(target=dispatcher)]
            threads += [threading.Thread(target=sender) for _ in range(args.senders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
            created = dict(Message.objects.values_list("msg_id", "created_at"))
            delays = [
                (at - created[key.split(":", 1)[1]].timestamp()) * 1000
                for key, at in arrived.items()
            ]
            delivered = Delivery.objects.filter(status="delivered").count()
    finally:
        portal.shutdown()
        inbox.shutdown()
        wecom.stop()

    cold_ms = [ms for _t, ms in cold]
    warm_ms = [ms for _t, ms in warm]
    database = connection.vendor
    print(f"database / cache: {database} / {'redis' if os.environ.get('REDIS_URL') else 'locmem'}")
    print(f"central credentials, {len(cold)} asks from {args.processes} processes:")
    failed = sum(t.startswith(("HTTP", "error")) for t, _ in cold + warm)
    print(f"  cold  {upstream} upstream call(s), {len({t for t, _ in cold})} token(s), "
          f"p50 {percentile(cold_ms, 0.5):.0f} ms  p99 {percentile(cold_ms, 0.99):.0f} ms "
          f"(WeCom took 1000 ms)")  # fmt: skip
    cold99, warm99 = percentile(cold_ms, 0.99), percentile(warm_ms, 0.99)
    print(f"  warm  p50 {percentile(warm_ms, 0.5):.0f} ms  p99 {warm99:.0f} ms (baseline)  "
          f"ratio cold/warm p99 {cold99 / warm99:.1f}x")  # fmt: skip
    print(f"  failed asks {failed}")
    ack50, ack99 = percentile(acks, 0.5), percentile(acks, 0.99)
    d50, d99 = percentile(delays, 0.5), percentile(delays, 0.99)
    print(f"webhooks, {args.events} events × {args.endpoints} endpoints, {args.senders} senders:")
    print(f"  {args.events} published and {delivered} delivered in {seconds:.1f} s = "
          f"{delivered / seconds:.0f} deliveries/s (publishing in the same process)")  # fmt: skip
    print(f"  callback ack (baseline) p50 {ack50:.1f} ms  p99 {ack99:.1f} ms")
    print(f"  publish → receiver 2xx  p50 {d50:.0f} ms  p99 {d99:.0f} ms  "
          f"ratio to ack p50 {d50 / ack50:.0f}x / p99 {d99 / ack99:.0f}x")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--asker":
        asker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
