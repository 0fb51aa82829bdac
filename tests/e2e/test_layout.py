"""The console's list pages fit a 1280 px wide window in Chinese: no horizontal scrollbar hides
edition, install date, token state or member count."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import choose

LISTS = [
    "/admin/",
    "/admin/corps/authorizedcorp/",
    "/admin/corps/member/",
    "/admin/corps/suite/",
    "/admin/tokens/credential/",
    "/admin/callbacks/callbackevent/",
    "/admin/corps/registercode/",
    "/admin/oauth/auditrecord/",
]


@pytest.fixture
def console(product, live_server, chrome):
    for index in range(3):
        product.install(index)
    chrome.set_window_size(1280, 900)
    chrome.get(f"{live_server.url}/oauth/provider-login/")
    choose(chrome, f"{product.provider.corpid}|sunyue", "scan", f"{live_server.url}/admin/")
    return chrome


@pytest.mark.parametrize("path", LISTS)
def test_a_list_page_fits_1280_pixels(console, live_server, path):
    console.get(f"{live_server.url}{path}")
    overflow = console.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
