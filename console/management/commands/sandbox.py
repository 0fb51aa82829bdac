"""The one-command demo: the portal, a Celery worker with beat, and the WeCom sandbox, wired to
each other on this machine (SQLite and a file broker unless DATABASE_URL / REDIS_URL say
otherwise). Ctrl-C stops every process it started."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from console.demo import demo_webhook, seed_sandbox_tenants
from corps.models import Provider
from sandbox.config import DEMO_CONFIG, ConfigError, load_config
from sandbox.webhook_inbox import PATH as INBOX_PATH

DEMO_USER = "admin"


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=2):  # noqa: S310 - our own local URL
                return True
        except (URLError, OSError):
            time.sleep(0.3)
    return False


class Command(BaseCommand):
    help = _(
        "Run the whole product locally: the portal, a worker with beat, and the WeCom sandbox "
        "with its demo corps. Ctrl-C stops everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help=_("the portal's port"))
        parser.add_argument("--sandbox-port", type=int, default=8001)
        parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help=_("sandbox config"))

    def handle(self, *args: Any, **options: Any) -> None:
        host, port, sandbox_port = options["host"], options["port"], options["sandbox_port"]
        portal, wecom = f"http://{host}:{port}", f"http://{host}:{sandbox_port}"
        try:
            config = load_config(options["config"])
        except ConfigError as error:
            raise CommandError(str(error)) from None
        call_command("migrate", verbosity=0)
        password = self.seed(config)
        env = {
            **os.environ,
            "WECOM_API_BASE": wecom,
            "WECOM_OPEN_BASE": wecom,
            "WECOM_OAUTH_BASE": wecom,
            "PUBLIC_BASE_URL": portal,
            "JSSDK_TRUSTED_DOMAINS": f"{host}:{port}",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "ISVPORTAL_VAR_DIR": str(settings.VAR_DIR),
        }
        python, manage = sys.executable, str(Path(settings.BASE_DIR) / "manage.py")
        children: list[subprocess.Popen[bytes]] = []

        def start(*command: str) -> None:
            # Our own interpreter and modules, with arguments from our own options. Each child leads
            # its own process group, so stopping it stops what it forked too (Celery's pool, beat),
            # and is told to stop when the demo dies, however it dies.
            children.append(
                subprocess.Popen(  # noqa: S603
                    list(command),
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdout=subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=_dies_with(os.getpid()),
                )
            )

        try:
            start(python, manage, "runserver", f"{host}:{port}", "--noreload")
            if not wait_for(f"{portal}/healthz", 60):
                raise CommandError(_("The portal did not start on %(url)s.") % {"url": portal})
            start(
                python,
                "-m",
                "celery",
                "-A",
                "isvportal",
                "worker",
                "-B",
                "--concurrency",
                "2",
                "-l",
                "warning",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            )
            start(
                python,
                "-m",
                "sandbox",
                "--config",
                str(options["config"]),
                "--portal",
                portal,
                "--host",
                host,
                "--port",
                str(sandbox_port),
            )
            if not wait_for(f"{wecom}/sandbox/api/state", 30):
                raise CommandError(_("The sandbox did not start on %(url)s.") % {"url": wecom})
            self.connect_inbox(config, wecom)
            self.announce(portal, wecom, config.suites[0].suite_id, password)
            self.supervise(children)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop(children)

    def seed(self, config: Any) -> str:
        """The sandbox's provider and suite in the portal, and a staff login for the console."""
        seed_sandbox_tenants(config)
        password = secrets.token_urlsafe(9)
        user, _created = get_user_model().objects.get_or_create(username=DEMO_USER)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password

    def connect_inbox(self, config: Any, wecom: str) -> None:
        """Point the demo's webhook endpoint at the sandbox's inbox and give it the secret."""
        provider = Provider.objects.get(corpid=config.provider.corpid)
        secret = demo_webhook(provider, f"{wecom}{INBOX_PATH}")
        request = Request(  # noqa: S310 - our own local URL
            f"{wecom}/sandbox/api/actions/webhook_inbox",
            data=json.dumps({"secret": secret}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urlopen(request, timeout=10):  # noqa: S310 - our own local URL
            pass

    def announce(self, portal: str, wecom: str, suite_id: str, password: str) -> None:
        lines = [
            _("isvportal demo is running. Open:"),
            f"  {_('WeCom sandbox (control page)'):<32} {wecom}/",
            f"  {_('Install the app into a corp'):<32} {portal}/oauth/install/{suite_id}/",
            f"  {_('Sign in as a member'):<32} {portal}/oauth/login/{suite_id}/",
            f"  {_('Operations console'):<32} {portal}/admin/  ({DEMO_USER} / {password})",
            f"  {_('Console via provider QR login'):<32} {portal}/oauth/provider-login/",
            f"  {_('API docs'):<32} {portal}/api/docs/",
            _("Press Ctrl-C to stop."),
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def supervise(self, children: list[subprocess.Popen[bytes]]) -> None:
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while not stop["now"]:
            for child in children:
                if child.poll() is not None:
                    command = child.args[2] if isinstance(child.args, list) else child.args
                    raise CommandError(_("A demo process exited (%(cmd)s).") % {"cmd": command})
            time.sleep(0.5)

    def stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _signal_group(child, signal.SIGKILL)  # whatever it left behind
        self.stdout.write(_("Stopped."))


def _dies_with(parent: int) -> Callable[[], None] | None:
    """For a child, before it runs: on Linux, the kernel sends it SIGTERM when ``parent`` dies
    (even by SIGKILL or a closed terminal), so no demo process outlives the demo."""
    if not sys.platform.startswith("linux"):
        return None

    def arrange() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the demo died before the request was in place
            os._exit(1)

    return arrange


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)
