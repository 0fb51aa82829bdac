"""What the browser tests share: the portal on a live server with WeCom's pages from the
sandbox, and a choice made on a sandbox page."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait


@pytest.fixture
def product(portal, live_server, settings):
    """The portal on live_server, WeCom's pages served by the sandbox."""
    settings.WECOM_OPEN_BASE = portal.wecom.url
    settings.WECOM_OAUTH_BASE = portal.wecom.url
    settings.PUBLIC_BASE_URL = live_server.url
    return portal


def choose(chrome, value: str, button: str, lands_on: str) -> None:
    """Pick an option on a sandbox page and wait until the browser has landed back on us."""
    chrome.find_element(By.CSS_SELECTOR, f'input[value="{value}"]').click()
    chrome.find_element(By.ID, button).click()
    WebDriverWait(chrome, 20).until(lambda driver: driver.current_url.startswith(lands_on))
