"""The product through a real browser, as a person uses it: the provider's install link, the
sandbox's install page, a member signing in, staff finding the new corp and its events in the
console. Screenshots in var/artifacts/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from corps.models import AuthorizedCorp
from licenses.models import LicenseOrder
from tests.conftest import save
from tests.e2e.conftest import choose


def test_install_sign_in_and_see_it_in_the_console(product, live_server, chrome):
    suite_id = product.suite.suite_id
    corpid = product.wecom.corps[1]  # 青山教育

    chrome.get(f"{live_server.url}/oauth/install/{suite_id}/")
    assert "isvportal 演示应用" in chrome.find_element(By.TAG_NAME, "h1").text
    save(chrome, "walkthrough-1-install-page")
    choose(chrome, corpid, "approve", f"{live_server.url}/oauth/install/{suite_id}/done/")
    assert "青山教育" in chrome.find_element(By.ID, "message").text
    save(chrome, "walkthrough-2-installed")
    assert AuthorizedCorp.objects.get(corpid=corpid).is_active

    chrome.get(f"{live_server.url}/oauth/login/{suite_id}/?scope=snsapi_privateinfo")
    choose(chrome, f"{corpid}|chenjing", "sign-in", f"{live_server.url}/oauth/me/")
    assert "陈静" in chrome.find_element(By.ID, "title").text
    save(chrome, "walkthrough-3-signed-in")

    chrome.get(f"{live_server.url}/oauth/provider-login/")
    choose(chrome, f"{product.provider.corpid}|sunyue", "scan", f"{live_server.url}/admin/")
    chrome.find_element(By.LINK_TEXT, "授权企业").click()
    chrome.find_element(By.LINK_TEXT, "青山教育").click()
    events = chrome.find_element(By.ID, "events-group").text
    assert "create_auth" in events and "suite_ticket" not in events
    save(chrome, "walkthrough-4-console-corp")

    # licences: buy ten base accounts from the corp's page, pay in the sandbox, see the codes
    chrome.find_element(By.ID, "corp-buy-licences").click()
    chrome.find_element(By.ID, "id_months").clear()
    chrome.find_element(By.ID, "id_months").send_keys("1")
    save(chrome, "walkthrough-5-buy-licences")
    chrome.find_element(By.ID, "place-order").click()
    WebDriverWait(chrome, 20).until(lambda d: "/admin/licenses/licenseorder/" in d.current_url)
    order = LicenseOrder.objects.get()
    assert order.status == LicenseOrder.Status.UNPAID and order.base_count == 10
    chrome.get(product.wecom.url)
    chrome.find_element(By.CSS_SELECTOR, "#license-orders button").click()
    WebDriverWait(chrome, 20).until(
        lambda d: "license_pay" in d.find_element(By.ID, "message").text
    )
    chrome.get(f"{live_server.url}/admin/licenses/activecode/")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 10
    save(chrome, "walkthrough-6-licence-codes")
