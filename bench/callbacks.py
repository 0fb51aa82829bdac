"""The callback path under gunicorn on PostgreSQL, against a bare view on the same server.

Both targets run in one gunicorn (gthread workers, keep-alive) on one database, measured in
alternating rounds by keep-alive clients:

- bare: Django, one INSERT of the body, ``success``;
- callback: the real command callback: size and timestamp checks, envelope parse, signature,
  decrypt, receiveid, event parse, the event row (encrypted XML, dedupe key), enqueue, ``success``.

Every callback is a distinct, freshly signed suite_ticket event, so none is a duplicate. Reports
requests/s, p50 and p99 of each, their ratio (target >= 0.8), and the callback's p99 at a fixed
300 requests/s (target <= 20 ms). Needs PostgreSQL; uses (and creates) the database
``isvportal_bench`` unless BENCH_DATABASE_URL names another, and Redis db 12 as the broker when
Redis answers.

    python bench/callbacks.py [--seconds 8] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from sandbox.config import load_config  # noqa: E402
from wecom.xml import Envelope, render  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/isvportal_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(url: str, *, create: bool = True) -> None:
    """A fresh bench database each run (its secrets are under this run's random key)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    if create:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body text)")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


class Callbacks:
    """Distinct suite_ticket callbacks, signed for the moment they are sent."""

    def __init__(self) -> None:
        config = load_config()
        self.suite = config.suites[0]
        self.cipher = self.suite.cipher()
        self.path = f"/callbacks/suite/{self.suite.suite_id}/"

    def next(self) -> tuple[str, bytes]:
        stamp = int(time.time())
        fields = {"SuiteId": self.suite.suite_id, "InfoType": "suite_ticket",
                  "TimeStamp": stamp, "SuiteTicket": secrets.token_urlsafe(24)}  # fmt: skip
        sealed = self.cipher.seal(render(fields), self.suite.suite_id, timestamp=str(stamp),
                                  nonce=secrets.token_hex(6))  # fmt: skip
        body = Envelope(self.suite.suite_id, "", sealed.encrypted).render().encode()
        query = urlencode({"msg_signature": sealed.signature, "timestamp": stamp,
                           "nonce": sealed.nonce})  # fmt: skip
        return f"{self.path}?{query}", body


def post(conn: http.client.HTTPConnection, path: str, body: bytes) -> float:
    started = time.perf_counter()
    # As forwarded by the TLS-terminating proxy of a production deployment.
    headers = {"Content-Type": "text/xml", "X-Forwarded-Proto": "https"}
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    reply = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200 or reply != b"success":
        raise RuntimeError(f"{path.split('?')[0]}: {response.status} {reply[:100]!r}")
    return elapsed


def prepared(target: str, callbacks: Callbacks, count: int) -> list[tuple[str, bytes]]:
    if target == "bare":
        return [("/bench/bare/", callbacks.next()[1]) for _ in range(count)]
    return [callbacks.next() for _ in range(count)]


def closed_loop(port: int, target: str, seconds: float, clients: int) -> tuple[float, list[float]]:
    """``clients`` keep-alive connections sending back to back; returns (req/s, latencies)."""
    callbacks = Callbacks()
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            for path, body in prepared(target, callbacks, 20):
                mine.append(post(conn, path, body))
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def fixed_rate(port: int, rate: float, seconds: float, clients: int) -> list[float]:
    """Callbacks at ``rate`` per second, spread over ``clients`` connections."""
    callbacks = Callbacks()
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for n in range(index, total, clients):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            mine.append(post(conn, *callbacks.next()))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    recreate_database(database)
    with_redis = redis_answers()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "ISVPORTAL_VAR_DIR": tempfile.mkdtemp(prefix="isvportal-bench-"),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    env.pop("REDIS_URL", None)
    if with_redis:
        env["REDIS_URL"] = "redis://127.0.0.1:6379/12"
    manage(env, "migrate")
    demo = load_config()
    suite = demo.suites[0]
    manage(env, "addprovider", demo.provider.corpid, "--secret", demo.provider.secret)
    manage(env, "addsuite", suite.suite_id, "--provider", demo.provider.corpid, "--secret",
           suite.secret, "--token", suite.token, "--aes-key", suite.encoding_aes_key)  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "-k", "gthread", "--threads", "4", "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        closed_loop(port, "bare", 1.5, args.clients)  # warm both paths up
        closed_loop(port, "callback", 1.5, args.clients)
        results: dict[str, list[tuple[float, list[float]]]] = {"bare": [], "callback": []}
        for _ in range(args.rounds):
            for target in ("bare", "callback"):
                results[target].append(closed_loop(port, target, args.seconds, args.clients))
        steady = fixed_rate(port, 300, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(30)
    rate = {t: statistics.median(r for r, _ in runs) for t, runs in results.items()}
    latencies = {t: [x for _, lat in runs for x in lat] for t, runs in results.items()}
    broker = "Redis" if with_redis else "filesystem"
    print(f"gunicorn {args.workers} gthread workers, {args.clients} keep-alive clients, "
          f"PostgreSQL, broker {broker}")  # fmt: skip
    for target in ("bare", "callback"):
        p50, p99 = percentile(latencies[target], 0.5), percentile(latencies[target], 0.99)
        print(f"{target:<10} {rate[target]:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    print(f"ratio callback/bare  {rate['callback'] / rate['bare']:.2f}   target >= 0.80")
    p50, p99 = percentile(steady, 0.5), percentile(steady, 0.99)
    print(f"callback at 300/s    p50 {p50:.2f} ms   p99 {p99:.2f} ms   target p99 <= 20 ms")
    cleanup(database, with_redis)


def cleanup(database: str, with_redis: bool) -> None:
    recreate_database(database, create=False)
    if with_redis:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/12").flushdb()


if __name__ == "__main__":
    main()
