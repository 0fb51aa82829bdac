"""The site-initiated install: start → WeCom's install page → approve → done → tenant."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from corps.models import AuthorizedCorp, Suite
from tests.oauth.conftest import follow_to_portal


def start_install(portal, browser):
    response = browser.get(f"/oauth/install/{portal.suite.suite_id}/")
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.path == "/3rdapp/install"
    assert query["suite_id"] == [portal.suite.suite_id]
    assert query["redirect_uri"] == [
        f"http://127.0.0.1:8000/oauth/install/{portal.suite.suite_id}/done/"
    ]
    assert len(query["state"][0]) == 32  # 128 bits, hex
    return response


def test_an_install_round_trip_makes_one_active_tenant(portal, browser, settings):
    settings.WECOM_OPEN_BASE = portal.wecom.url
    path, query = follow_to_portal(
        start_install(portal, browser), {"corpid": portal.wecom.corps[1]}
    )
    assert path == f"/oauth/install/{portal.suite.suite_id}/done/"
    assert query["expires_in"] == "600"
    done = browser.get(path, query)
    assert done.status_code == 200
    assert "青山教育" in done.content.decode()
    corp = AuthorizedCorp.objects.get()
    assert corp.is_active and corp.corp_name == "青山教育"
    # The sandbox also pushed create_auth with the same auth_code: still one corp, one exchange.
    deadline = time.monotonic() + 10
    while not portal.wecom.pushes("create_auth") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert AuthorizedCorp.objects.count() == 1
    assert len(portal.wecom.calls("service/get_permanent_code")) == 1


def test_a_test_mode_suite_installs_as_a_test_authorization(portal, browser, settings):
    settings.WECOM_OPEN_BASE = portal.wecom.url
    Suite.objects.filter(pk=portal.suite.pk).update(install_mode="test")
    path, query = follow_to_portal(
        start_install(portal, browser), {"corpid": portal.wecom.corps[0]}
    )
    browser.get(path, query)
    assert AuthorizedCorp.objects.get().edition_name == "测试版"


def test_reloading_the_result_shows_it_again_and_a_replay_elsewhere_is_a_400(
    portal, browser, settings
):
    from django.test import Client

    settings.WECOM_OPEN_BASE = portal.wecom.url
    path, query = follow_to_portal(
        start_install(portal, browser), {"corpid": portal.wecom.corps[0]}
    )
    first = browser.get(path, query)
    assert first.status_code == 200
    reloaded = browser.get(path, query)
    assert reloaded.status_code == 200 and reloaded.content == first.content
    replay = Client().get(path, query)
    assert replay.status_code == 400
    page = replay.content.decode()
    assert "start again" in page
    assert f'id="restart" class="button" href="/oauth/install/{portal.suite.suite_id}/"' in page
    assert AuthorizedCorp.objects.count() == 1
    assert len(portal.wecom.calls("service/get_permanent_code")) == 1


def test_a_state_from_another_browser_is_refused(portal, browser):
    from django.test import Client

    response = browser.get(f"/oauth/install/{portal.suite.suite_id}/")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    stranger = Client()
    refused = stranger.get(
        f"/oauth/install/{portal.suite.suite_id}/done/", {"state": state, "auth_code": "x"}
    )
    assert refused.status_code == 400
    assert AuthorizedCorp.objects.count() == 0


def test_a_used_auth_code_is_a_clear_page_not_a_500(portal, browser, settings):
    settings.WECOM_OPEN_BASE = portal.wecom.url
    start_install(portal, browser)
    response = browser.get(f"/oauth/install/{portal.suite.suite_id}/")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    page = browser.get(
        f"/oauth/install/{portal.suite.suite_id}/done/", {"state": state, "auth_code": "forged"}
    )
    assert page.status_code == 400 and "expired or was already used" in page.content.decode()


def test_an_unknown_suite_is_a_404_page(portal, browser):
    assert browser.get("/oauth/install/wwnosuch/").status_code == 404
