"""The portal under gunicorn for a benchmark, loaded from processes of their own.

``Portal`` builds a fresh database (PostgreSQL or SQLite), seeds the demo's provider and suite,
and serves ``bench.wsgi`` with gunicorn (gthread workers, keep-alive), as in production. The
load comes from other processes: ``wrk`` (Debian's package) for closed-loop throughput over
pre-built requests, and ``bench/loadgen.py`` for a fixed arrival rate. ``Portal.cpu()`` reads the
CPU time of the gunicorn processes and of the database server from /proc, so each figure can be
given per request beside the req/s.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from sandbox.config import load_config  # noqa: E402
from wecom.xml import Envelope, render  # noqa: E402

POSTGRES = "postgres://root@127.0.0.1:5432/isvportal_bench"
BARE_TABLE = "CREATE TABLE bench_bare (id {key}, body text)"
TICK = os.sysconf("SC_CLK_TCK")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# As forwarded by the TLS-terminating proxy of a production deployment.
HEADERS = {"Content-Type": "text/xml", "X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(url: str, *, create: bool = True) -> None:
    """A fresh PostgreSQL bench database each run (its secrets are under this run's key)."""
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
            conn.execute(BARE_TABLE.format(key="bigserial PRIMARY KEY"))


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Callbacks:
    """Distinct command callbacks, signed for the moment they are built: suite_ticket pushes
    (no corp), or contact changes of a corp (whose row names the corp)."""

    EVENTS = ("suite_ticket", "change_contact")

    def __init__(self, event: str = "suite_ticket") -> None:
        config = load_config()
        self.suite = config.suites[0]
        self.cipher = self.suite.cipher()
        self.path = f"/callbacks/suite/{self.suite.suite_id}/"
        self.event = event

    def _fields(self, stamp: int) -> dict[str, object]:
        fields: dict[str, object] = {"SuiteId": self.suite.suite_id, "InfoType": self.event,
                                     "TimeStamp": stamp}  # fmt: skip
        if self.event == "suite_ticket":
            return {**fields, "SuiteTicket": secrets.token_urlsafe(24)}
        return {**fields, "AuthCorpId": "wwbenchcorp0000001", "ChangeType": "update_user",
                "UserID": "lina", "OpenUserID": secrets.token_hex(8)}  # fmt: skip

    def next(self) -> tuple[str, bytes]:
        stamp = int(time.time())
        fields = self._fields(stamp)
        sealed = self.cipher.seal(render(fields), self.suite.suite_id, timestamp=str(stamp),
                                  nonce=secrets.token_hex(6))  # fmt: skip
        body = Envelope(self.suite.suite_id, "", sealed.encrypted).render().encode()
        query = urlencode({"msg_signature": sealed.signature, "timestamp": stamp,
                           "nonce": sealed.nonce})  # fmt: skip
        return f"{self.path}?{query}", body

    def batch(self, count: int) -> list[tuple[str, bytes]]:
        return [self.next() for _ in range(count)]


def _wrk_ms(report: str, percentile: str) -> float:
    """A latency percentile of wrk's --latency report, in ms."""
    match = re.search(rf"^\s*{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", report, re.M)
    if match is None:
        raise RuntimeError(f"no {percentile} in wrk's report:\n{report}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def _ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass(frozen=True)
class Cpu:
    app: float  # seconds, gunicorn master and workers
    db: float  # seconds, the PostgreSQL server's processes (SQLite works inside the app)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.app - other.app, self.db - other.db)


@dataclass(frozen=True)
class Load:
    """One load run: completed requests, their rate and latency, and the server CPU they took."""

    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    cpu: Cpu

    @property
    def cpu_per_request_ms(self) -> tuple[float, float]:
        return (self.cpu.app * 1000 / self.requests, self.cpu.db * 1000 / self.requests)


@dataclass(frozen=True)
class OpenLoop(Load):
    """A fixed-rate run (bench/loadgen.py), with its slowest answer and how many answers took
    longer than its latency target."""

    max_ms: float
    over_target: int


class Portal:
    """A fresh bench database and gunicorn serving the portal on it; a context manager."""

    def __init__(
        self,
        database: str,
        *,
        workers: int = 2,
        threads: int = 4,
        env: dict[str, str] | None = None,
    ) -> None:
        self.engine = "postgres" if database == "postgres" else "sqlite"
        self.workers, self.threads = workers, threads
        self.var_dir = tempfile.mkdtemp(prefix="isvportal-bench-")
        self.url = (
            os.environ.get("BENCH_DATABASE_URL", POSTGRES)
            if self.engine == "postgres"
            else f"sqlite:///{self.var_dir}/bench.sqlite3"
        )
        self.with_redis = redis_answers()
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "ISVPORTAL_VAR_DIR": self.var_dir,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }
        self.env.pop("REDIS_URL", None)
        self.env.pop("CELERY_BROKER_URL", None)
        if self.with_redis:
            self.env["REDIS_URL"] = "redis://127.0.0.1:6379/12"
        self.env.update(env or {})
        self.server: subprocess.Popen[bytes] | None = None

    @property
    def broker(self) -> str:
        return "Redis" if self.with_redis else "filesystem"

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def __enter__(self) -> Portal:
        self.prepare()
        self.serve()
        return self

    def prepare(self) -> None:
        """The fresh database, migrated, with the demo's provider and suite."""
        if self.engine == "postgres":
            recreate_database(self.url)
        self.manage("migrate")
        if self.engine == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                conn.execute(BARE_TABLE.format(key="integer PRIMARY KEY AUTOINCREMENT"))
        demo = load_config()
        suite = demo.suites[0]
        self.manage("addprovider", demo.provider.corpid, "--secret", demo.provider.secret,
                    "--token", demo.provider.token,
                    "--aes-key", demo.provider.encoding_aes_key)  # fmt: skip
        self.manage("addsuite", suite.suite_id, "--provider", demo.provider.corpid,
                    "--secret", suite.secret, "--token", suite.token,
                    "--aes-key", suite.encoding_aes_key)  # fmt: skip

    def serve(self, **env: str) -> None:
        """(Re)start gunicorn, with ``env`` added to the environment."""
        self.stop()
        self.env.update(env)
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bench.wsgi:application",
             "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers), "-k", "gthread",
             "--threads", str(self.threads), "--keep-alive", "30", "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        self.get("/healthz/live")  # waits for the workers

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(30)
            self.server = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One GET, as through the production proxy; retried while the server is starting."""
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", path, headers={**HEADERS, **(headers or {})})
                response = conn.getresponse()
                return response.status, response.read()
            except ConnectionRefusedError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop gunicorn and drop what ``prepare`` made."""
        self.stop()
        if self.engine == "postgres":
            recreate_database(self.url, create=False)
        if self.with_redis:
            import redis

            redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        assert self.server is not None
        return _children(self.server.pid)

    def cpu(self) -> Cpu:
        assert self.server is not None
        app = sum(_ticks(pid) for pid in [self.server.pid, *self.worker_pids()])
        db = sum(_ticks(pid) for pid in _postgres_pids()) if self.engine == "postgres" else 0
        return Cpu(app / TICK, db / TICK)

    def wrk(self, requests: list[tuple[str, bytes]], *, seconds: float, connections: int) -> Load:
        """Closed loop: ``connections`` keep-alive connections from one wrk thread, each request
        sent once (pre-built: no signing while the clock runs). Every answer must be 200."""
        with tempfile.NamedTemporaryFile("wb", suffix=".requests") as listing:
            for path, body in requests:
                assert b"\n" not in body and " " not in path
                listing.write(path.encode() + b" " + body + b"\n")
            listing.flush()
            before = self.cpu()
            result = subprocess.run(
                [WRK, "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s",
                 "-s", str(HERE / "requests.lua"), f"http://127.0.0.1:{self.port}", "--",
                 listing.name],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            cpu = self.cpu() - before
        report = json.loads(result.stdout.strip().splitlines()[-1])
        if report["bad"] or report["errors"] or report["wrapped"]:
            raise RuntimeError(f"wrk: {report}")
        return Load(report["requests"], report["requests"] / report["seconds"],
                    report["p50_ms"], report["p99_ms"], cpu)  # fmt: skip

    def wrk_get(
        self, path: str, *, seconds: float, connections: int, headers: dict[str, str]
    ) -> Load:
        """Closed loop GETs of one path; every answer must be 2xx."""
        flags = [f"-H{name}: {value}" for name, value in {**HEADERS, **headers}.items()]
        before = self.cpu()
        result = subprocess.run(
            [WRK, "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", *flags,
             f"http://127.0.0.1:{self.port}{path}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cpu = self.cpu() - before
        out = result.stdout
        if "Non-2xx" in out or "Socket errors" in out:
            raise RuntimeError(f"wrk {path}: {out}")
        requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        return Load(requests, rate, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), cpu)

    def fixed_rate(
        self,
        requests: list[tuple[str, bytes]],
        *,
        rate: float,
        connections: int,
        target_ms: float,
    ) -> OpenLoop:
        """Open loop from bench/loadgen.py: request n is due at n / rate; its latency counts from
        when it was due, so a slow answer that delays the next ones is not hidden."""
        before = self.cpu()
        result = subprocess.run(
            [sys.executable, str(HERE / "loadgen.py"), str(self.port), str(rate),
             str(connections), str(target_ms)],
            input=json.dumps([[path, body.decode()] for path, body in requests]),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cpu = self.cpu() - before
        report = json.loads(result.stdout)
        return OpenLoop(len(requests), rate, report["p50_ms"], report["p99_ms"], cpu,
                        report["max_ms"], report["over"])  # fmt: skip
