from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from corps.models import Provider, Suite
from licenses.models import ActiveCode, CorpLicense
from tokens.models import Credential

pytestmark = pytest.mark.django_db
KEY = "Su1teDem0KeyAbCdEfGhIjKlMnOpQrStUvWxYz01234"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def add_suite(**extra) -> str:
    return run(
        "addsuite", "ww1", provider="wwp", secret="S3CRET", token="T0KEN", aes_key=KEY, **extra
    )


def test_addprovider_creates_then_updates_without_echoing_secrets():
    first = run("addprovider", "wwp", secret="PROVIDER-S3CRET", name="演示服务商")
    second = run("addprovider", "wwp", secret="ROTATED-S3CRET")
    assert "Created provider wwp" in first and "Updated provider wwp" in second
    assert "S3CRET" not in first + second
    assert Provider.objects.get().secret == "ROTATED-S3CRET"


def test_addsuite_creates_then_updates():
    run("addprovider", "wwp", secret="s")
    assert "Created suite ww1" in add_suite(name="演示应用")
    assert "Updated suite ww1" in add_suite(install_mode="test")
    suite = Suite.objects.get()
    assert (suite.name, suite.install_mode, suite.secret) == ("演示应用", "test", "S3CRET")


@pytest.mark.parametrize(
    ("command", "kwargs", "reason"),
    [
        ("addprovider", {"secret": ""}, "must not be empty"),
        ("addprovider", {"secret": "s", "aes_key": "nope"}, "43 characters"),
        ("addsuite", {"provider": "wwnobody"}, "No provider wwnobody"),
        ("addsuite", {"provider": "wwp", "aes_key": "x" * 42}, "43 characters"),
        ("addsuite", {"provider": "wwp", "secret": ""}, "must not be empty"),
    ],
)
def test_bad_input_is_a_clear_command_error(command, kwargs, reason):
    Provider.objects.create(corpid="wwp", secret="s")
    target = "wwp" if command == "addprovider" else "ww1"
    defaults = {"secret": "s", "token": "t", "aes_key": KEY} if command == "addsuite" else {}
    with pytest.raises(CommandError, match=reason):
        run(command, target, **{**defaults, **kwargs})
    assert Suite.objects.count() == 0


def test_a_bad_input_exits_non_zero_from_the_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["ISVPORTAL_VAR_DIR"] = str(tmp_path)  # its own SQLite, never the developer's

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "manage.py", *args]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert manage("migrate", "-v0").returncode == 0
    result = manage("addsuite", "ww1", "--provider", "wwnobody", "--secret", "s",
                    "--token", "t", "--aes-key", KEY)  # fmt: skip
    assert result.returncode != 0
    assert "No provider wwnobody" in result.stderr


class TestIsvstatus:
    def test_a_suite_is_listed_as_soon_as_it_is_added(self):
        run("addprovider", "wwp", secret="s")
        add_suite(name="演示应用")
        report = json.loads(run("isvstatus", json=True))
        assert report == {
            "suites": [
                {
                    "suite_id": "ww1",
                    "name": "演示应用",
                    "kind": "thirdparty",
                    "provider_corpid": "wwp",
                    "ticket_age_seconds": None,
                    "ticket_fresh": False,
                    "token_expires_at": None,
                }
            ],
            "corps": [],
        }

    def test_it_reports_ticket_age_tokens_and_corps(self):
        run("addprovider", "wwp", secret="s")
        add_suite()
        suite = Suite.objects.get()
        suite.suite_ticket, suite.suite_ticket_at = "t", timezone.now() - timedelta(seconds=90)
        suite.save()
        corp = suite.corps.create(corpid="wpcorp", corp_name="星辰科技", permanent_code="p")
        suite.corps.create(corpid="wpgone", corp_name="海川物流", status="cancelled")
        expires = timezone.now() + timedelta(hours=1)
        Credential.objects.create(
            key=f"suite:{suite.pk}", kind="suite", suite=suite, value="v", expires_at=expires
        )
        Credential.objects.create(
            key=f"corp:{corp.pk}", kind="corp", corp=corp, value="v", expires_at=expires
        )
        trial_end = timezone.now() + timedelta(days=60)
        CorpLicense.objects.create(corp=corp, trial_end=trial_end, synced_at=timezone.now())
        for status, expiry in ((2, timedelta(days=10)), (2, timedelta(days=100)), (1, None)):
            ActiveCode.objects.create(
                provider=suite.provider, code=f"c{status}{expiry}", corpid="wpcorp", type=1,
                status=status, source="order", synced_at=timezone.now(),
                expires_at=timezone.now() + expiry if expiry else None,
            )  # fmt: skip
        report = json.loads(run("isvstatus", json=True))
        local = timezone.localtime(expires).isoformat()  # in TIME_ZONE, with its offset
        assert local.endswith("+08:00")
        [listed] = report["suites"]
        assert 89 <= listed["ticket_age_seconds"] <= 95 and listed["ticket_fresh"] is True
        assert listed["token_expires_at"] == local
        assert report["corps"] == [
            {
                "suite_id": "ww1",
                "corpid": "wpcorp",
                "corp_name": "星辰科技",
                "status": "active",
                "token_expires_at": local,
                "license": {
                    "trial_end": timezone.localtime(trial_end).isoformat(),
                    "active": 2,
                    "available": 1,
                    "expiring_30d": 1,
                },
            },
            {
                "suite_id": "ww1",
                "corpid": "wpgone",
                "corp_name": "海川物流",
                "status": "cancelled",
                "token_expires_at": None,
                "license": {"trial_end": None, "active": 0, "available": 0, "expiring_30d": 0},
            },
        ]
        text = run("isvstatus")
        assert "ww1" in text and "wpcorp" in text and "cancelled" in text

    def test_an_old_ticket_is_flagged_stale(self):
        run("addprovider", "wwp", secret="s")
        add_suite()
        Suite.objects.update(suite_ticket="t", suite_ticket_at=timezone.now() - timedelta(hours=1))
        assert json.loads(run("isvstatus", json=True))["suites"][0]["ticket_fresh"] is False
        assert "STALE" in run("isvstatus")
