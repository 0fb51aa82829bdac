import pytest

from callbacks.signals import app_event


@pytest.fixture
def heard():
    """What the ISV's own code receives through the extension point."""
    received = []

    def listener(sender, event, corp, record, **kwargs):
        received.append((event, corp))

    app_event.connect(listener)
    yield received
    app_event.disconnect(listener)
