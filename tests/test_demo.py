"""README command 1: the whole product on one machine, driven over HTTP like a person would,
then Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eventually(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {check}")


@pytest.fixture
def demo(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the demo runs on the embedded default; covered by the SQLite run")
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ISVPORTAL_VAR_DIR=str(tmp_path), CELERY_TASK_ALWAYS_EAGER="0")
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    announced = []
    for line in process.stdout:
        announced.append(line)
        if "Press Ctrl-C to stop." in line:
            break
    try:
        yield (
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{sandbox_port}",
            "".join(announced),
            tmp_path,
            process,
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        pgrep = shutil.which("pgrep") or "pgrep"
        leftovers = subprocess.run([pgrep, "-f", str(tmp_path)], capture_output=True, text=True)
        assert leftovers.stdout == "", "a demo process outlived Ctrl-C"


def test_the_demo_runs_the_whole_product(demo):
    portal, wecom, announced, *_ = demo
    for url in (f"{wecom}/", f"{portal}/oauth/install/", f"{portal}/admin/", f"{portal}/api/docs/"):
        assert url in announced
    password = re.search(r"\(admin / (\S+)\)", announced).group(1)
    # The sandbox pushes a suite_ticket, the worker stores it.
    eventually(
        lambda: (
            requests.get(f"{portal}/healthz", timeout=5).json()["checks"]["suite_tickets"]["status"]
            == "ok"
        )
    )
    browser = requests.Session()
    page = browser.get(f"{portal}/oauth/install/wwdemosuite0000001/", timeout=30)
    corpid = re.search(r'name="corpid" value="([^"]+)" checked', page.text).group(1)
    done = browser.post(page.url, data={"corpid": corpid}, timeout=30)
    assert "has installed the app" in done.text
    staff = requests.Session()
    login = staff.get(f"{portal}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    staff.post(
        f"{portal}/admin/login/",
        data={
            "username": "admin",
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        },
        timeout=10,
    )
    corps = staff.get(f"{portal}/admin/corps/authorizedcorp/", timeout=30).text
    assert "星辰科技" in corps
    # The install reaches the sandbox's webhook inbox as a signed webhook, verified there (the
    # worker consumes the webhooks queue; the demo handed the inbox its secret).
    installed = eventually(
        lambda: requests.get(
            f"{wecom}/sandbox/api/webhooks", params={"type": "corp.installed"}, timeout=5
        ).json()
    )
    assert installed[0]["verified"] and installed[0]["corpid"] == corpid
    # The worker syncs the new corp's contacts; then a member signs in, greeted by name.
    eventually(lambda: "李娜" in staff.get(f"{portal}/admin/corps/member/", timeout=10).text)
    page = browser.get(f"{portal}/oauth/login/wwdemosuite0000001/", timeout=30)
    welcome = browser.post(page.url.split("#")[0], data={"member": f"{corpid}|lina"}, timeout=30)
    assert "李娜" in welcome.text


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent has yet to reap it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's parent-death signal")
def test_a_demo_killed_hard_takes_every_process_it_started_with_it(demo):
    """SIGKILL (or a terminal closing) gives the demo no chance to stop its children: the
    kernel tells each of them to stop when the demo dies."""
    *_, process = demo
    started = descendants(process.pid)
    assert len(started) >= 3  # the portal, the worker with beat, the sandbox
    process.kill()
    process.wait(10)
    eventually(lambda: not any(alive(pid) for pid in started), seconds=45)
