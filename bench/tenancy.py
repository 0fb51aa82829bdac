"""The portal side of a bench tenant: the sandbox's provider and suite with a fresh ticket, and
installs made the way create_auth makes them. Import after ``django.setup()``."""

from __future__ import annotations

from datetime import UTC, datetime

from corps.models import AuthorizedCorp, Suite
from corps.services import corp_authorize, provider_upsert, suite_ticket_store, suite_upsert
from sandbox.server import SandboxServer
from tokens.services import suite_api


def seed_suite(server: SandboxServer) -> Suite:
    config = server.app.sandbox.config
    provider_upsert(corpid=config.provider.corpid, secret=config.provider.secret)
    suite_config = config.suites[0]
    suite, _ = suite_upsert(
        suite_id=suite_config.suite_id,
        provider_corpid=config.provider.corpid,
        secret=suite_config.secret,
        token=suite_config.token,
        encoding_aes_key=suite_config.encoding_aes_key,
    )
    ticket = server.app.sandbox.new_suite_ticket(suite.suite_id)
    suite_ticket_store(suite=suite, ticket=ticket, pushed_at=datetime.now(UTC))
    return suite


def install(server: SandboxServer, suite: Suite, corpid: str) -> AuthorizedCorp:
    auth_code, _ = server.app.lifecycle.install(suite.suite_id, corpid, push=False)
    corp, _ = corp_authorize(
        suite=suite, result=suite_api(suite).get_permanent_code(auth_code=auth_code)
    )
    return corp
