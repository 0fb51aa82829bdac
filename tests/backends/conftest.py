import pytest

from oauth.keys import service_key_create


@pytest.fixture
def corp(portal):
    """The demo app installed in 星辰科技."""
    return portal.install(0)


@pytest.fixture
def service_api(portal):
    """``service_api(name, **account)`` makes a service account of the demo provider and
    returns a caller of /api/v1/<path> with its key: ``call(path, method="GET", **kwargs)``."""

    def make(name="backend", **account):
        key, _row = service_key_create(name=name, provider=portal.provider, **account)

        def call(path, method="GET", **kwargs):
            return portal.http.request(
                method, f"{portal.url}/api/v1/{path}", timeout=30,
                headers={"Authorization": f"Bearer {key}"}, **kwargs,
            )  # fmt: skip

        return call

    return make
