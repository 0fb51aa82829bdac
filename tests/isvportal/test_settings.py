"""Settings come from the environment and fail loudly on a malformed value (SPEC §3)."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

import isvportal

SETTINGS = Path(isvportal.__file__).parent / "settings.py"
ROOT = SETTINGS.parent.parent


def variables_read(path: Path) -> set[str]:
    """Every environment variable a settings file reads: the first argument of env.str(),
    env.int(), env_bool(), _base_url()… when it is an upper-case string."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
            if isinstance(name, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
                names.add(name)
    return names - {"OPTIONS"}  # a key of the parsed DATABASE_URL, not a variable


VARIABLES = variables_read(SETTINGS)


@pytest.fixture
def load(monkeypatch, tmp_path):
    """Evaluate settings.py afresh with none of its variables set but ``env``; in development
    (DEBUG=1) unless told otherwise."""

    def load(*, development: bool = True, **env: str) -> dict:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ISVPORTAL_VAR_DIR", str(tmp_path / "var"))
        if development:
            env.setdefault("DEBUG", "1")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


def test_env_example_lists_every_variable_the_settings_read():
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == VARIABLES


def test_debug_is_off_unless_set(load):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set when DEBUG is off"):
        load(development=False)
    s = load(
        development=False,
        SECRET_KEY="a-real-secret-key-from-the-operator",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SESSION_COOKIE_SECURE"] is True


def test_no_proxy_is_trusted_unless_configured(load):
    assert load()["REST_FRAMEWORK"]["NUM_PROXIES"] == 0
    assert load(TRUSTED_PROXIES="2")["REST_FRAMEWORK"]["NUM_PROXIES"] == 2


def test_another_broker_can_be_named(load):
    s = load(REDIS_URL="redis://127.0.0.1:6379/3", CELERY_BROKER_URL="amqp://127.0.0.1:5672//")
    assert s["CELERY_BROKER_URL"] == "amqp://127.0.0.1:5672//"
    assert s["CELERY_BROKER_TRANSPORT_OPTIONS"] == {}
    assert s["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_development_defaults_need_no_server(load, tmp_path):
    s = load()
    assert s["DEBUG"] is True
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "isvportal.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert s["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert s["CELERY_BROKER_URL"] == "filesystem://"
    assert Path(s["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"]).is_dir()
    assert s["WECOM_API_BASE"] == "https://qyapi.weixin.qq.com"
    assert s["WECOM_OPEN_BASE"] == "https://open.work.weixin.qq.com"
    assert s["WECOM_OAUTH_BASE"] == "https://open.weixin.qq.com"
    assert s["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert len(s["FIELD_ENCRYPTION_KEYS"]) == 1
    Fernet(s["FIELD_ENCRYPTION_KEYS"][0])


def test_sqlite_keeps_its_connections_unless_told_not_to(load):
    assert load()["DATABASES"]["default"]["CONN_MAX_AGE"] == 60
    assert load(DATABASE_CONN_MAX_AGE="0")["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_postgres_uses_persistent_connections_by_default(load):
    db = load(DATABASE_URL="postgres://u:p@db.example:5433/isv")["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db.example", 5433, "isv", "u")
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in db["OPTIONS"]


def test_postgres_binds_on_the_server_unless_told_not_to(load):
    url = "postgres://u@h/isv"
    options = load(DATABASE_URL=url)["DATABASES"]["default"]["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    bouncer = load(DATABASE_URL=url, DATABASE_SERVER_SIDE_BINDING="0")["DATABASES"]["default"]
    assert "server_side_binding" not in bouncer["OPTIONS"]
    assert "prepare_threshold" not in bouncer["OPTIONS"]  # Django's default: never prepare


def test_postgres_can_use_a_connection_pool(load):
    db = load(DATABASE_URL="postgresql://u@h/isv", DATABASE_POOL="1")["DATABASES"]["default"]
    assert db["OPTIONS"]["pool"]["max_size"] == 10
    assert "CONN_MAX_AGE" not in db or db["CONN_MAX_AGE"] == 0


def test_redis_becomes_cache_and_broker(load):
    s = load(REDIS_URL="redis://127.0.0.1:6379/3")
    assert s["CACHES"]["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert s["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert s["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"


def test_base_urls_lose_their_trailing_slash(load):
    s = load(WECOM_API_BASE="http://127.0.0.1:8001/", PUBLIC_BASE_URL="https://isv.example.com/")
    assert s["WECOM_API_BASE"] == "http://127.0.0.1:8001"
    assert s["PUBLIC_BASE_URL"] == "https://isv.example.com"
    assert "isv.example.com" in s["ALLOWED_HOSTS"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://isv.example.com"]


def test_several_field_keys_keep_their_order(load):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert load(FIELD_ENCRYPTION_KEYS=f"{new},{old}")["FIELD_ENCRYPTION_KEYS"] == [new, old]


def test_production_settings_load_when_complete(load):
    s = load(
        DEBUG="0",
        SECRET_KEY="a-real-secret-key-from-the-operator",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="isv.example.com",
    )
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["isv.example.com"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "operator-secret"}, "FIELD_ENCRYPTION_KEYS must be set"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "entry 1 is not a valid Fernet key"),
        ({"DATABASE_URL": "mysql://root@localhost/isv"}, "DATABASE_URL must start with"),
        ({"REDIS_URL": "memcached://127.0.0.1"}, "REDIS_URL must be"),
        ({"WECOM_API_BASE": "qyapi.weixin.qq.com"}, "WECOM_API_BASE must be an http"),
        ({"PUBLIC_BASE_URL": "ftp://example.com"}, "PUBLIC_BASE_URL must be an http"),
    ],
)
def test_a_bad_value_is_refused_with_a_reason(load, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load(**env)


def test_a_malformed_boolean_is_refused(load):
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        load(DEBUG="maybe")


def test_a_refused_key_is_not_echoed(load):
    with pytest.raises(ImproperlyConfigured) as raised:
        load(FIELD_ENCRYPTION_KEYS="top-secret-but-malformed")
    assert "top-secret-but-malformed" not in str(raised.value)


def test_the_portal_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {*VARIABLES, "DJANGO_SETTINGS_MODULE"}}
    env.update(ISVPORTAL_VAR_DIR=str(tmp_path))  # DEBUG unset: off
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_celery_app_reads_the_django_settings(settings):
    from isvportal.celery import app

    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_acks_late is True
