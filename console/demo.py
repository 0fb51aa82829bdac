"""The portal's side of the sandbox demo: its tenants, configured as the sandbox knows them."""

from __future__ import annotations

from typing import Any

from corps.models import Provider, Suite
from corps.services import provider_upsert, suite_upsert

DEMO_PROVIDER_NAME = "演示服务商"


def seed_sandbox_tenants(config: Any) -> tuple[Provider, list[Suite]]:
    """Upsert the sandbox config's provider and every suite; used by the demo and the tests."""
    provider = config.provider
    stored_provider, _ = provider_upsert(
        corpid=provider.corpid,
        secret=provider.secret,
        token=provider.token,
        encoding_aes_key=provider.encoding_aes_key,
        name=DEMO_PROVIDER_NAME,
    )
    stored_suites = [
        suite_upsert(
            suite_id=suite.suite_id,
            provider_corpid=provider.corpid,
            secret=suite.secret,
            token=suite.token,
            encoding_aes_key=suite.encoding_aes_key,
            name=suite.name,
            kind=suite.kind,
        )[0]
        for suite in config.suites
    ]
    return stored_provider, stored_suites
