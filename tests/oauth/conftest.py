from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests


def follow_to_portal(response, choice: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The browser's trip through a sandbox page: POST the choice, return the portal path and
    query the sandbox redirects back to."""
    assert response.status_code == 302, response.content[:300]
    page = response["Location"]
    back = requests.post(page, data=choice, allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text[:300]
    target = urlsplit(back.headers["Location"])
    return target.path, {k: v[0] for k, v in parse_qs(target.query).items()}


@pytest.fixture
def browser(client):
    """Django's test client as the person's browser (its session holds the state)."""
    return client


@pytest.fixture
def sso(portal, settings):
    settings.WECOM_OAUTH_BASE = portal.wecom.url
    settings.WECOM_OPEN_BASE = portal.wecom.url
    portal.install(0)
    portal.install(1)
    return portal


def sign_in(
    sso, browser, corp_index=0, userid="lina", *, next_url="/oauth/me/", scope="snsapi_base"
):
    start = browser.get(f"/oauth/login/{sso.suite.suite_id}/", {"next": next_url, "scope": scope})
    member = f"{sso.wecom.corps[corp_index]}|{userid}"
    path, query = follow_to_portal(start, {"member": member})
    assert path == f"/oauth/callback/{sso.suite.suite_id}/"
    return browser.get(path, query), query
