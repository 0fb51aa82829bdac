import pytest


@pytest.fixture
def wecom(make_sandbox, receiver):
    """A running sandbox that pushes to the receiver."""
    return make_sandbox(portal=receiver.url)
