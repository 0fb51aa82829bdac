"""The portal's side of the sandbox demo: its tenants, configured as the sandbox knows them."""

from __future__ import annotations

from typing import Any

from corps.models import Provider, Suite
from corps.services import provider_upsert, suite_upsert
from webhooks.models import Endpoint
from webhooks.services import endpoint_create

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


def demo_webhook(provider: Provider, inbox_url: str) -> str:
    """The demo's webhook endpoint, the sandbox's inbox (on loopback, so marked internal); its
    secret, for the sandbox to verify with. Run again, the endpoint and its secret stay."""
    endpoint = Endpoint.objects.filter(provider=provider, url=inbox_url).first()
    if endpoint is not None:
        return endpoint.secret
    _endpoint, secret = endpoint_create(
        provider=provider, url=inbox_url, description="WeCom sandbox inbox", internal=True
    )
    return secret
