"""What the sandbox serves: the portal it pushes to, the provider and its suites.

Read from a TOML file (``demo.toml`` beside this module by default) and overridable by flags.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wecom.crypto import CallbackCipher, CallbackCryptoError

DEMO_CONFIG = Path(__file__).with_name("demo.toml")
WECOM_TICKET_INTERVAL = 600


class ConfigError(ValueError):
    """The sandbox configuration is incomplete or malformed."""


@dataclass(frozen=True)
class ProviderConfig:
    corpid: str
    secret: str = field(repr=False)
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)

    def cipher(self) -> CallbackCipher:
        return CallbackCipher(self.token, self.encoding_aes_key)


@dataclass(frozen=True)
class SuiteConfig:
    suite_id: str
    name: str
    secret: str = field(repr=False)
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    register_templates: tuple[str, ...] = ()
    kind: str = "thirdparty"  # or "customized": a 代开发 template (its id starts with dk)

    @property
    def customized(self) -> bool:
        return self.kind == "customized"

    def cipher(self) -> CallbackCipher:
        return CallbackCipher(self.token, self.encoding_aes_key)


@dataclass(frozen=True)
class SandboxConfig:
    portal: str
    provider: ProviderConfig
    suites: tuple[SuiteConfig, ...]
    host: str = "127.0.0.1"
    port: int = 8001
    ticket_interval: float = WECOM_TICKET_INTERVAL
    push_timeout: float = 5.0
    push_retry_delay: float = 1.0
    seed_demo_corps: bool = True
    secret_prefix: str = ""  # prepended to every token, code and ticket it issues (log canaries)

    def suite(self, suite_id: str) -> SuiteConfig | None:
        return next((s for s in self.suites if s.suite_id == suite_id), None)

    def with_overrides(self, **overrides: Any) -> SandboxConfig:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _require(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value


def _check_key(key: str, where: str) -> str:
    try:
        CallbackCipher("t", key)
    except CallbackCryptoError:
        raise ConfigError(
            f"{where}.encoding_aes_key must be 43 characters of [A-Za-z0-9]"
        ) from None
    return key


def _kind(table: dict[str, Any], where: str) -> str:
    kind = str(table.get("kind", "thirdparty"))
    if kind not in ("thirdparty", "customized"):
        raise ConfigError(f"{where}.kind must be thirdparty or customized")
    return kind


def parse_config(data: dict[str, Any]) -> SandboxConfig:
    portal = _require(data, "portal", "config")
    if urlsplit(portal).scheme not in ("http", "https"):
        raise ConfigError("config.portal must be an http(s) URL")
    provider_table = data.get("provider")
    if not isinstance(provider_table, dict):
        raise ConfigError("config needs a [provider] table")
    provider = ProviderConfig(
        corpid=_require(provider_table, "corpid", "provider"),
        secret=_require(provider_table, "secret", "provider"),
        token=_require(provider_table, "token", "provider"),
        encoding_aes_key=_check_key(
            _require(provider_table, "encoding_aes_key", "provider"), "provider"
        ),
    )
    suite_tables = data.get("suites")
    if not isinstance(suite_tables, list) or not suite_tables:
        raise ConfigError("config needs at least one [[suites]] entry")
    suites = []
    for position, table in enumerate(suite_tables):
        where = f"suites[{position}]"
        suites.append(
            SuiteConfig(
                suite_id=_require(table, "suite_id", where),
                name=str(table.get("name") or table["suite_id"]),
                secret=_require(table, "secret", where),
                token=_require(table, "token", where),
                encoding_aes_key=_check_key(_require(table, "encoding_aes_key", where), where),
                register_templates=tuple(str(t) for t in table.get("register_templates", ())),
                kind=_kind(table, where),
            )
        )
    return SandboxConfig(
        portal=portal.rstrip("/"),
        provider=provider,
        suites=tuple(suites),
        host=str(data.get("host", "127.0.0.1")),
        port=int(data.get("port", 8001)),
        ticket_interval=float(data.get("ticket_interval", WECOM_TICKET_INTERVAL)),
        seed_demo_corps=bool(data.get("seed_demo_corps", True)),
    )


def load_config(path: Path = DEMO_CONFIG) -> SandboxConfig:
    try:
        with path.open("rb") as handle:
            return parse_config(tomllib.load(handle))
    except FileNotFoundError:
        raise ConfigError(f"no such config file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
