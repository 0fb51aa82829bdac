"""The product through a real browser, as a person uses it: the provider's install link, the
sandbox's install page, a member signing in, staff finding the new corp and its events in the
console. Screenshots in var/artifacts/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from billing.models import AppOrder
from corps.models import AuthorizedCorp, Suite
from licenses.models import LicenseOrder
from tests.conftest import save
from tests.e2e.conftest import choose, wait_until


def sign_in_staff(chrome, product, live_server) -> None:
    """The provider QR login as 孙悦, an admin of the demo provider."""
    chrome.get(f"{live_server.url}/oauth/provider-login/")
    choose(chrome, f"{product.provider.corpid}|sunyue", "scan", f"{live_server.url}/admin/")


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

    sign_in_staff(chrome, product, live_server)
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
    wait_until(chrome, lambda d: "/admin/licenses/licenseorder/" in d.current_url)
    order = LicenseOrder.objects.get()
    assert order.status == LicenseOrder.Status.UNPAID and order.base_count == 10
    chrome.get(product.wecom.url)
    chrome.find_element(By.CSS_SELECTOR, "#license-orders button").click()
    wait_until(chrome, lambda d: "license_pay" in d.find_element(By.ID, "message").text)
    chrome.get(f"{live_server.url}/admin/licenses/activecode/")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 10
    save(chrome, "walkthrough-6-licence-codes")


def test_an_edition_bought_and_paid_in_wecom_shows_on_the_corp_page(product, live_server, chrome):
    corp = product.install(0)
    chrome.get(product.wecom.url)
    order_form = chrome.find_element(By.ID, f"app-order-{product.suite.suite_id}")
    Select(order_form.find_element(By.NAME, "edition_id")).select_by_value("SANDBOX-PRO")
    order_form.find_element(By.TAG_NAME, "button").click()
    wait_until(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, "#app-orders button"))
    chrome.find_element(By.CSS_SELECTOR, "#app-orders button").click()  # pay
    wait_until(chrome, lambda d: AppOrder.objects.filter(status=AppOrder.Status.PAID).exists())
    corp.refresh_from_db()
    assert corp.edition_name == "专业版"
    sign_in_staff(chrome, product, live_server)
    chrome.get(f"{live_server.url}/admin/corps/authorizedcorp/{corp.pk}/change/")
    edition = chrome.find_element(By.CSS_SELECTOR, ".field-edition_name")
    assert "专业版" in edition.text
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", edition)
    save(chrome, "walkthrough-7-paid-edition")


def test_a_customized_template_is_authorized_from_the_console_and_its_member_signs_in(
    product, live_server, chrome
):
    template = Suite.objects.get(kind=Suite.Kind.CUSTOMIZED)
    assert product.wecom.push_ticket(template.suite_id)["pushes"][template.suite_id]["ok"]
    corpid = product.wecom.corps[0]  # 星辰科技
    sign_in_staff(chrome, product, live_server)
    chrome.get(f"{live_server.url}/admin/corps/suite/")
    chrome.find_element(
        By.CSS_SELECTOR, f'input[name="_selected_action"][value="{template.pk}"]'
    ).click()
    Select(chrome.find_element(By.NAME, "action")).select_by_value("customized_auth_link")
    chrome.find_element(By.NAME, "index").click()
    link = chrome.find_element(By.ID, "customized-link").get_attribute("href")
    save(chrome, "walkthrough-8-customized-link")

    chrome.get(link)
    chrome.find_element(By.CSS_SELECTOR, f'input[value="{corpid}"]').click()
    chrome.find_element(By.ID, "approve").click()
    wait_until(
        chrome, lambda d: AuthorizedCorp.objects.filter(suite=template, corpid=corpid).exists()
    )
    chrome.get(f"{live_server.url}/oauth/login/{template.suite_id}/?corpid={corpid}")
    choose(chrome, f"{corpid}|lina", "sign-in", f"{live_server.url}/oauth/me/")
    assert "李娜" in chrome.find_element(By.ID, "title").text
    save(chrome, "walkthrough-9-customized-signed-in")
