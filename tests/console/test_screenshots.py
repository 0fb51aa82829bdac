"""The dashboard and the corp list in headless Chromium (Debian's chromium and chromedriver):
rendered, key elements visible. Screenshots go to var/artifacts/; with UPDATE_SCREENSHOTS=1
they also replace the README's pictures in docs/screenshots/.

Skipped where no Chromium is installed, unless REQUIRE_BROWSER=1 (CI sets it)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tests.conftest import save

ROOT = Path(__file__).resolve().parents[2]


def sign_in_as_staff(chrome, live_server, admin_client):
    admin_client.get("/admin/")  # make the session exist
    chrome.get(f"{live_server.url}/healthz")
    session = admin_client.cookies[settings.SESSION_COOKIE_NAME].value
    chrome.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session})


def test_the_dashboard_in_a_chrome(operation, live_server, admin_client, chrome):
    from selenium.webdriver.common.by import By

    sign_in_as_staff(chrome, live_server, admin_client)
    chrome.get(f"{live_server.url}/admin/")
    for element in ("dashboard", "active-corps", "alarms", "installs-chart", "events-chart"):
        assert chrome.find_element(By.ID, element).is_displayed(), element
    active = chrome.find_element(By.CSS_SELECTOR, "#active-corps b").text
    assert active == "2"
    bars = chrome.find_elements(By.CSS_SELECTOR, "#installs-chart span")
    assert len(bars) == 30 and bars[-1].size["height"] > 0  # today's installs draw a bar
    assert save(chrome, "dashboard").stat().st_size > 10_000


def test_the_corp_list_in_a_chrome(operation, live_server, admin_client, chrome):
    from selenium.webdriver.common.by import By

    sign_in_as_staff(chrome, live_server, admin_client)
    chrome.get(f"{live_server.url}/admin/corps/authorizedcorp/")
    table = chrome.find_element(By.ID, "result_list")
    assert table.is_displayed()
    text = table.text
    for name in ("星辰科技", "青山教育", "海川物流"):
        assert name in text
    assert chrome.find_element(By.ID, "changelist-filter").is_displayed()
    assert "授权企业" in chrome.title  # a Chinese chrome gets the Chinese console
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#result_list .badge")) >= 6
    assert save(chrome, "corp-list").stat().st_size > 10_000
