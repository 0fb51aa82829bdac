"""Most users read Chinese: every string of ours has a zh-Hans translation, compiled."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def entries() -> list[tuple[str, str]]:
    po = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'\nmsgid "(.*)"\n(?:msgid_plural ".*"\n)?msgstr(?:\[0\])? "(.*)"', po)
    return [(msgid, msgstr) for msgid, msgstr in pairs if msgid]


def test_every_string_is_translated():
    untranslated = [msgid for msgid, msgstr in entries() if not msgstr]
    assert untranslated == []
    assert len(entries()) > 300
    assert "#, fuzzy" not in (CATALOGUE / "django.po").read_text(encoding="utf-8")


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext is not installed")
def test_the_compiled_catalogue_is_current(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(
        [
            shutil.which("msgfmt") or "msgfmt",
            "--check-format",
            "-o",
            str(fresh),
            str(CATALOGUE / "django.po"),
        ],
        check=True,
    )
    assert fresh.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run compilemessages"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Dashboard", "概览"),
        ("authorized corps", "授权企业"),
        ("Resync contacts", "重新同步通讯录"),
    ],
)
def test_the_console_speaks_chinese(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


def test_the_console_follows_the_browser_language(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "概览" in html and "在用企业" in html
