"""The dashboard and the corp list in headless Chromium (Debian's chromium and chromedriver):
rendered, key elements visible. Screenshots go to var/artifacts/; with UPDATE_SCREENSHOTS=1
they also replace the README's pictures in docs/screenshots/.

Skipped where no Chromium is installed, unless REQUIRE_BROWSER=1 (CI sets it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and DRIVER):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but chromium/chromedriver are not installed")
        pytest.skip("no chromium/chromedriver here")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1360,1100",
                     "--lang=zh-CN", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def sign_in_as_staff(browser, live_server, admin_client):
    admin_client.get("/admin/")  # make the session exist
    browser.get(f"{live_server.url}/healthz")
    session = admin_client.cookies[settings.SESSION_COOKIE_NAME].value
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session})


def save(browser, name: str) -> Path:
    artifacts = ROOT / "var" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    browser.save_screenshot(str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "docs" / "screenshots" / f"{name}.png")
    return path


def test_the_dashboard_in_a_browser(operation, live_server, admin_client, browser):
    from selenium.webdriver.common.by import By

    sign_in_as_staff(browser, live_server, admin_client)
    browser.get(f"{live_server.url}/admin/")
    for element in ("dashboard", "active-corps", "alarms", "installs-chart", "events-chart"):
        assert browser.find_element(By.ID, element).is_displayed(), element
    active = browser.find_element(By.CSS_SELECTOR, "#active-corps b").text
    assert active == "2"
    bars = browser.find_elements(By.CSS_SELECTOR, "#installs-chart span")
    assert len(bars) == 30 and bars[-1].size["height"] > 0  # today's installs draw a bar
    assert save(browser, "dashboard").stat().st_size > 10_000


def test_the_corp_list_in_a_browser(operation, live_server, admin_client, browser):
    from selenium.webdriver.common.by import By

    sign_in_as_staff(browser, live_server, admin_client)
    browser.get(f"{live_server.url}/admin/corps/authorizedcorp/")
    table = browser.find_element(By.ID, "result_list")
    assert table.is_displayed()
    text = table.text
    for name in ("星辰科技", "青山教育", "海川物流"):
        assert name in text
    assert browser.find_element(By.ID, "changelist-filter").is_displayed()
    assert "授权企业" in browser.title  # a Chinese browser gets the Chinese console
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list .badge")) >= 6
    assert save(browser, "corp-list").stat().st_size > 10_000
