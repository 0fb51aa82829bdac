"""The documented production settings pass Django's deployment checklist, and the production
web server serves the portal (gunicorn + WhiteNoise, DEBUG off, behind an HTTPS proxy)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path) -> dict[str, str]:
    documented = (ROOT / "deploy" / "production.env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in documented if line and not line.startswith("#"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(values)
    env.update(
        SECRET_KEY="a-production-secret-key-with-enough-entropy-Xk9#pL2$vQ7!mN4&rT8@wZ5",
        FIELD_ENCRYPTION_KEYS="Ln3hLe7ApmMhYmdxDFlvdHn9jXyiM51HK9f7rn9mKYU=",
        ISVPORTAL_VAR_DIR=str(tmp_path),
    )
    env.pop("DATABASE_URL")  # SQLite under tmp_path: the check needs no database server
    env.pop("REDIS_URL")
    env.pop("DATABASE_POOL")
    return env


def test_check_deploy_passes_with_the_documented_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_gunicorn_serves_the_portal_and_its_static_files_in_production(tmp_path):
    env = production_env(tmp_path)
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, timeout=300)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env["GUNICORN_BIND"], env["GUNICORN_WORKERS"] = f"127.0.0.1:{port}", "1"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "isvportal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health.status_code == 200  # exempt from the HTTPS redirect, for load balancers
        https = {"X-Forwarded-Proto": "https"}
        assert (
            requests.get(f"{base}/admin/login/", allow_redirects=False, timeout=5).status_code
            == 301
        )
        login = requests.get(f"{base}/admin/login/", headers=https, timeout=5)
        assert login.status_code == 200 and "Strict-Transport-Security" in login.headers
        css = requests.get(f"{base}/static/admin/css/base.css", headers=https, timeout=5)
        assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
        docs = requests.get(f"{base}/api/docs/", headers=https, timeout=5)
        assert docs.status_code == 200
    finally:
        server.terminate()
        server.wait(30)
