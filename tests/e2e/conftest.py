"""What the browser tests share: the portal on a live server with WeCom's pages from the
sandbox, a choice made on a sandbox page, and waits that survive a page being replaced."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

# Mid-navigation Chrome answers a lookup on the outgoing page with errors other than
# StaleElementReference ("Node with given id does not belong to the document", "document
# unloaded while waiting for result"); a wait retries through them and still fails on timeout.
NAVIGATION_ERRORS = (WebDriverException,)


def wait_until(chrome, condition, timeout: float = 20):
    """WebDriverWait(...).until(condition), retrying while a page is being replaced."""
    return WebDriverWait(chrome, timeout, ignored_exceptions=NAVIGATION_ERRORS).until(condition)


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
    wait_until(chrome, lambda driver: driver.current_url.startswith(lands_on))
