from __future__ import annotations

import pytest

from corps.models import AuthorizedCorp, Provider, Suite
from tokens.models import Credential


@pytest.fixture
def operation(portal):
    """A running operation: two installed corps with tokens, contacts, events; a cancelled one."""
    first, second = portal.install(0), portal.install(1)
    third = portal.install(2)
    portal.act("cancel_auth", third)
    from tokens.services import credential_get

    credential_get(kind=Credential.Kind.JSAPI, owner=first)
    portal.first, portal.second, portal.third = first, second, third
    return portal


def secrets_of(portal) -> list[str]:
    """Every secret value the database holds for this operation."""
    provider = Provider.objects.get()
    values = [provider.secret, provider.token, provider.encoding_aes_key]
    for suite in Suite.objects.all():  # the demo's app and its 代开发 template
        values += [suite.secret, suite.token, suite.encoding_aes_key, suite.suite_ticket]
    values += [c.permanent_code for c in AuthorizedCorp.objects.all() if c.permanent_code]
    values += [c.value for c in Credential.objects.all()]
    return [v for v in values if v]
