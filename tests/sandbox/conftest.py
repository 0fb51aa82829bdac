import pytest

from wecom.client import StaticToken, WeComClient


@pytest.fixture
def wecom(make_sandbox, receiver):
    """A running sandbox that pushes to the receiver."""
    return make_sandbox(portal=receiver.url)


@pytest.fixture
def client(wecom):
    return WeComClient(wecom.url, sleep=lambda _: None)


def new_ticket(wecom, receiver) -> str:
    wecom.push_ticket()
    return receiver.last("suite_ticket").suite_ticket


@pytest.fixture
def suite(wecom, receiver, client):
    token = client.tokens.get_suite_token(
        suite_id=wecom.suite.suite_id,
        suite_secret=wecom.suite.secret,
        suite_ticket=new_ticket(wecom, receiver),
    )
    return client.suite(StaticToken(token.value))


@pytest.fixture
def provider(wecom, client):
    token = client.tokens.get_provider_token(
        corpid=wecom.config.provider.corpid, provider_secret=wecom.config.provider.secret
    )
    return client.provider(StaticToken(token.value))


@pytest.fixture
def install(wecom, suite):
    """Install the demo suite in a corp; returns (corpid, permanent code result)."""

    def install(corp_index: int = 0):
        corpid = wecom.corps[corp_index]
        auth_code = wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=corpid)[
            "auth_code"
        ]
        return corpid, suite.get_permanent_code(auth_code=auth_code)

    return install


@pytest.fixture
def corp(client, install):
    corpid, result = install()
    return client.corp(StaticToken(result.access_token.value)), corpid, result
