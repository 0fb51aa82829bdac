"""Fault drills: real processes and real failures, stopped by PID. Zero lost, zero processed twice.

- Redis stopped (a redis-server the test started, serving a real worker): callbacks are still
  stored and acknowledged, credentials still served from the database; when it is started
  again, the waiting events are processed by the worker, each once.
- A PostgreSQL connection dies in the middle of storing a callback: 503, no partial row, and
  WeCom's (the sandbox's) redelivery is stored and processed once.
- A burst of 2,000 callbacks over 200 corps with 5% redeliveries racing their originals, handled
  by two real worker processes: each processed exactly once.
- A worker killed with SIGKILL while handling create_auth, before the code is exchanged, and
  after WeCom answered the exchange but before the corp is built: after a restart the corp
  exists once and the code was spent once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from callbacks import tasks
from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp
from isvportal.celery import app as celery_app
from tests.drills.processes import subprocess_database_url
from tokens.models import AuthCodeExchange, Credential
from tokens.services import credential_get

ROOT = Path(__file__).resolve().parents[2]


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("this drill needs PostgreSQL")


def use_broker(url: str) -> None:
    """Publish to ``url`` from now on. Celery keeps its connection and producer pools once made,
    whatever the configuration says later, so they are dropped (private attributes: Celery has
    no public way to re-point a running app)."""
    celery_app.conf.update(broker_url=url)
    celery_app._pool = None  # type: ignore[attr-defined]  # private: see the docstring
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]  # private, likewise


@pytest.fixture
def broker():
    """A drill may send tasks through a real broker; the eager test setup is restored after."""
    keys = ("broker_url", "task_publish_retry", "broker_connection_timeout")
    previous = {key: celery_app.conf[key] for key in keys}
    yield celery_app
    celery_app.conf.update(task_always_eager=True, **previous)
    use_broker(previous["broker_url"])


class RedisServer:
    """A redis-server of the test's own on a free port, stopped and started like a real outage."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary, self.directory = binary, directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, "redis-server did not start", timeout=10)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.kill()
        server.process.wait(10)


def test_redis_stopped_and_started_again_loses_no_callback(
    portal, own_redis, workers, settings, time_machine
):
    """A redis-server the test started is the cache and the broker of the portal and of a
    real worker. While it is stopped, callbacks are still verified, stored and acknowledged, and
    credentials come from the database; once it is started again, the sweeper hands the waiting
    events to the worker, which processes each once."""
    settings.REDIS_URL = own_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    workers(redis_url=own_redis.url)
    # Publishing fails at once while Redis is down (the sweeper is what recovers).
    celery_app.conf.update(task_publish_retry=False, broker_connection_timeout=0.5)
    corpid = portal.wecom.corps[0]
    portal.wecom.action("create_auth", suite_id=portal.suite.suite_id, corpid=corpid)
    installed = AuthorizedCorp.objects.filter(suite=portal.suite, corpid=corpid)
    wait_for(installed.exists, "the worker did not install the corp")
    corp = installed.get()
    token = credential_get(kind=Credential.Kind.CORP, owner=corp)

    own_redis.stop()
    portal.wecom.reset_logs()
    for event in ("enter_agent", "subscribe", "unsubscribe"):
        result = portal.wecom.action(
            "app_event", suite_id=portal.suite.suite_id, corpid=corp.corpid, event=event,
            userid="lina",
        )  # fmt: skip
        assert result["push"]["ok"] and result["push"]["attempts"] == 1  # acknowledged at once
    waiting = CallbackEvent.objects.filter(kind__in=["enter_agent", "subscribe", "unsubscribe"])
    assert waiting.count() == 3 and set(waiting.values_list("status", flat=True)) == {"received"}
    assert credential_get(kind=Credential.Kind.CORP, owner=corp) == token  # from the database
    assert portal.wecom.calls("service/get_corp_token") == []

    own_redis.start()
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=True)
    assert tasks.requeue_stalled_events() == 3  # what beat runs every minute
    wait_for(
        lambda: set(waiting.values_list("status", flat=True)) == {"processed"},
        "the worker did not process the waiting events",
        timeout=60,
    )
    assert sum(waiting.values_list("attempts", flat=True)) == 3  # each once
    assert credential_get(kind=Credential.Kind.CORP, owner=corp) == token
    assert portal.wecom.calls("service/get_corp_token") == []


@pytest.fixture
def connection_killer():
    """The next INSERT of a callback event kills its own database connection, once."""
    needs_postgres()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE drill_kills")  # sequences ignore rollbacks: fires once
        cursor.execute("""
            CREATE FUNCTION drill_kill() RETURNS trigger AS $$
            BEGIN
              IF nextval('drill_kills') = 1 THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        cursor.execute(
            "CREATE TRIGGER drill BEFORE INSERT ON callbacks_callbackevent "
            "FOR EACH ROW EXECUTE FUNCTION drill_kill()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER drill ON callbacks_callbackevent")
        cursor.execute("DROP FUNCTION drill_kill()")
        cursor.execute("DROP SEQUENCE drill_kills")


def test_a_connection_lost_while_storing_is_a_503_and_the_redelivery_succeeds(
    portal, connection_killer
):
    before = CallbackEvent.objects.count()
    push = portal.wecom.push_ticket()["pushes"][portal.suite.suite_id]
    assert push["ok"] and push["attempts"] == 2  # the first delivery got the 503
    delivered = portal.wecom.pushes("suite_ticket")[-1]
    assert delivered["attempts"] == 2 and delivered["status"] == 200
    assert CallbackEvent.objects.count() == before + 1  # no partial row from the first attempt
    latest = CallbackEvent.objects.latest("received_at")
    assert latest.status == "processed"
    portal.suite.refresh_from_db()
    assert (
        portal.suite.suite_ticket
        == portal.wecom.server.app.sandbox.tickets[portal.suite.suite_id][-1][0]
    )


def test_a_burst_of_2000_callbacks_with_redeliveries_is_processed_exactly_once(portal, workers):
    """2,000 text messages over 200 corps, every 20th delivered twice on two connections at
    once, processed by two real worker processes through the Redis broker."""
    for number in range(200):  # installed first, with tasks run in-process
        code = portal.wecom.action("register_code", template_id="tpldemo001", state="burst")
        registered = portal.wecom.action(
            "register_corp",
            register_code=code["register_code"],
            corp_name=f"压测企业{number:03d}",
            admin_name="管理员",
        )
        assert registered["create_auth"]["ok"]
    assert AuthorizedCorp.objects.filter(suite=portal.suite).count() == 200
    portal.wecom.reset_logs()
    workers(), workers()
    started = time.monotonic()
    burst = portal.wecom.action(
        "message_burst",
        timeout=600,
        suite_id=portal.suite.suite_id,
        count=2000,
        redeliver_every=20,  # 5%
        threads=8,
    )
    assert burst == {"corps": 200, "messages": 2000, "deliveries": 2100, "delivered": 2100}
    pushes = portal.wecom.pushes("text")
    assert len(pushes) == 2100 and {(p["status"], p["attempts"]) for p in pushes} == {(200, 1)}
    events = CallbackEvent.objects.filter(kind="text")
    assert events.count() == 2000
    wait_for(
        lambda: not events.exclude(status="processed").exists(),
        "the workers did not process the burst",
        timeout=300,
    )
    drained = time.monotonic() - started
    assert events.values("corp").distinct().count() == 200
    assert set(events.values_list("attempts", flat=True)) == {1}  # each handled exactly once
    print(f"burst: 2,100 deliveries acknowledged and 2,000 events processed in {drained:.1f} s")


@pytest.fixture
def workers(portal, broker, settings):
    """Start real Celery workers (solo pool, Redis broker, PostgreSQL) against the sandbox;
    once one is started, tasks go to the broker instead of running in-process. Each is stopped
    and the broker emptied after the test."""
    needs_postgres()
    if not os.environ.get("REDIS_URL"):
        pytest.skip("this drill runs a worker against the Redis broker")
    settings.CALLBACK_CLAIM_LEASE = 2
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "WECOM_API_BASE": portal.wecom.url,
        "CALLBACK_CLAIM_LEASE": "2",
        "LOG_LEVEL": "WARNING",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start_worker(redis_url: str = os.environ.get("REDIS_URL", "")) -> subprocess.Popen[bytes]:
        broker.conf.update(task_always_eager=False)  # from now on tasks go to the workers
        use_broker(redis_url)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "isvportal",
                "worker",
                "--pool",
                "solo",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env={**env, "REDIS_URL": redis_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(worker)
        return worker

    yield start_worker
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    flush = [
        sys.executable,
        "-c",
        f"import redis; redis.Redis.from_url({os.environ['REDIS_URL']!r}).flushdb()",
    ]
    subprocess.run(flush, check=False)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def kill_then_resume(workers, event: CallbackEvent, first) -> None:
    """SIGKILL the worker now, restart one once its claim expired, and wait for the event."""
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    time.sleep(2.5)  # the dead worker's claim expires (CALLBACK_CLAIM_LEASE=2)
    workers()
    assert tasks.requeue_stalled_events() == 1
    wait_for(
        lambda: CallbackEvent.objects.get(pk=event.pk).status == "processed",
        "the restarted worker did not finish the install",
        timeout=60,
    )


def pushed_install(portal) -> CallbackEvent:
    """WeCom pushes create_auth for the third demo corp; the stored event."""
    result = portal.wecom.action(
        "create_auth", suite_id=portal.suite.suite_id, corpid=portal.wecom.corps[2]
    )
    assert result["push"]["ok"]
    return CallbackEvent.objects.get(kind="create_auth")


def test_a_worker_killed_while_installing_leaves_one_corp_after_restart(portal, workers):
    Credential.objects.filter(kind="suite").delete()  # the worker must fetch a suite token first
    portal.wecom.action("fault", endpoint="service/get_suite_token", count=1, delay_ms=6000)
    first = workers()
    event = pushed_install(portal)
    wait_for(
        lambda: CallbackEvent.objects.get(pk=event.pk).status == "processing",
        "the worker never claimed the event",
    )
    assert not AuthorizedCorp.objects.exists()  # inside the install, before the exchange
    kill_then_resume(workers, event, first)
    assert AuthorizedCorp.objects.count() == 1
    answered = [c for c in portal.wecom.calls("service/get_permanent_code") if c["errcode"] == 0]
    assert len(answered) == 1
    # The dead worker's suite-token lease ran out (15 s) while the restarted worker waited.
    assert CallbackEvent.objects.get(kind="create_auth").attempts == 2


def test_a_worker_killed_after_the_code_was_answered_resumes_from_the_answer(portal, workers):
    """The window that used to lose the customer: WeCom has answered get_permanent_code (the
    code is spent) and the corp is not built yet. The sandbox holds the admin-list call that
    comes next, and shows it in flight, so the kill lands inside that window."""
    portal.wecom.action("fault", endpoint="service/get_admin_list", count=1, delay_ms=8000)
    first = workers()
    event = pushed_install(portal)
    wait_for(
        lambda: portal.wecom.state()["in_flight"].get("service/get_admin_list", 0) > 0,
        "the worker never got past get_permanent_code",
    )
    assert [c["errcode"] for c in portal.wecom.calls("service/get_permanent_code")] == [0]
    assert AuthCodeExchange.objects.get().status == AuthCodeExchange.Status.ANSWERED
    assert not AuthorizedCorp.objects.exists()
    kill_then_resume(workers, event, first)
    assert AuthorizedCorp.objects.count() == 1
    assert len(portal.wecom.calls("service/get_permanent_code")) == 1  # never spent twice
    assert AuthCodeExchange.objects.get().status == AuthCodeExchange.Status.INSTALLED
