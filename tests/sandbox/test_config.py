from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_config_has_a_provider_and_a_suite():
    config = load_config()
    assert config.port == 8001 and config.host == "127.0.0.1"
    assert config.provider.corpid == "wwdemoprovider00001"
    assert config.suites[0].suite_id == "wwdemosuite0000001"
    assert config.suites[0].register_templates == ("tpldemo001",)
    assert config.suites[0].secret not in repr(config)


VALID: dict[str, Any] = {
    "portal": "http://127.0.0.1:8000",
    "provider": {
        "corpid": "wwp",
        "secret": "s",
        "token": "t",
        "encoding_aes_key": "a" * 43,
    },
    "suites": [{"suite_id": "ww1", "secret": "s", "token": "t", "encoding_aes_key": "b" * 43}],
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"portal": "ftp://x"}, "portal must be an http"),
        ({"provider": None}, r"\[provider\] table"),
        ({"suites": []}, "at least one"),
        ({"provider": {**VALID["provider"], "encoding_aes_key": "short"}}, "43 characters"),
        ({"suites": [{"suite_id": "ww1"}]}, r"suites\[0\].secret"),
    ],
)
def test_a_bad_config_is_refused_with_a_reason(change, reason):
    with pytest.raises(ConfigError, match=reason):
        parse_config({**VALID, **change})


def test_the_cli_reports_a_missing_config_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--config", str(tmp_path / "none.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no such config file" in result.stderr


def test_the_cli_reports_malformed_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("portal = ")
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "not valid TOML" in result.stderr
