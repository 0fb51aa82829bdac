"""Every page a person uses, walked in headless Chromium at 1280 px, once with the browser set to
zh-CN and once to en-US: the install pages (ours and the sandbox's), member sign-in, the signed-in
page and sign-out, a refused sign-in, staff sign-in (password and QR) and sign-out, the
dashboard, the list, add and detail page of every model in the console, the register-code page
with its QR image drawn, and the sandbox's control page.

On every page the walk fails on: an HTTP status other than the page's expected one (so any 5xx),
a horizontal scrollbar, a phrase of our catalogue in the other language (an untranslated
string), and a link on the page that answers 4xx or 5xx (each distinct link target is fetched
with the browser's cookies). Each page is saved as a screenshot in var/artifacts/."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By

from console.site import site
from corps.models import Member
from corps.services import register_code_create
from licenses.services import order_create, unlicensed_record
from oauth.keys import service_key_create
from oauth.services import api_token_issue
from tests.conftest import save
from tests.e2e.catalogue import chinese_phrases, english_phrases
from tests.e2e.conftest import choose, wait_until
from tokens.services import provider_api
from webhooks.services import endpoint_create

ZH, EN = "zh-CN,zh", "en-US,en"
FOREIGN = {ZH: english_phrases(), EN: chinese_phrases()}

STATUS_JS = "const [n] = performance.getEntriesByType('navigation'); return n.responseStatus"
LINKS_JS = (
    "return Array.from(document.querySelectorAll('a[href]'), a => a.href)"
    ".filter(href => href.startsWith('http'))"
)
FETCH_JS = """
const [urls, done] = [arguments[0], arguments[arguments.length - 1]];
Promise.all(urls.map(url => fetch(url, {redirect: "manual", credentials: "same-origin"}).then(
  r => [url, r.type === "opaqueredirect" ? 302 : r.status], e => [url, String(e)]))).then(done);
"""
OVERFLOW_JS = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
# A page marked before a click is the old one; a new page has no mark and has finished loading.
MARK_JS = "window.isvportalOldPage = true"
READY_JS = "return document.readyState === 'complete'"
NEW_PAGE_LOADED_JS = (
    "return window.isvportalOldPage === undefined && document.readyState === 'complete'"
)


class Walk:
    """Visits pages and collects what is wrong with them, so one run reports every problem."""

    def __init__(self, chrome, language: str) -> None:
        self.chrome, self.language = chrome, language
        self.foreign = FOREIGN[language]
        self.problems: list[str] = []
        self.links_seen: set[tuple[str, str, tuple[str, ...]]] = set()
        self.pages = 0
        chrome.set_window_size(1280, 900)
        chrome.set_script_timeout(120)

    def visit(self, url: str, *, status: int = 200, name: str = "") -> None:
        self.chrome.get(url)
        self.check(status=status, name=name)

    def follow(self, element, *, status: int = 200, name: str = "") -> None:
        """Click what loads a page (a form's submit, a link) and judge the page it loads, not
        the one still shown when the click returns; the new page may have the same address,
        so the old page is told apart by a mark set on it before the click."""
        self.chrome.execute_script(MARK_JS)
        element.click()
        wait_until(self.chrome, lambda driver: driver.execute_script(NEW_PAGE_LOADED_JS))
        self.check(status=status, name=name)

    def check(self, *, status: int = 200, name: str = "") -> None:
        """Judge the page the browser is on now, once it has loaded."""
        chrome, where = self.chrome, self.chrome.current_url
        wait_until(chrome, lambda driver: driver.execute_script(READY_JS))
        self.pages += 1
        got = chrome.execute_script(STATUS_JS)
        if got != status:
            self.problems.append(f"{where}: HTTP {got}, expected {status}")
        overflow = chrome.execute_script(OVERFLOW_JS)
        if overflow > 0:
            self.problems.append(f"{where}: scrolls sideways by {overflow} px")
        text = chrome.execute_script("return document.body.innerText")
        found = sorted(phrase for phrase in self.foreign if phrase in text)
        if found:
            self.problems.append(f"{where}: untranslated {found}")
        self.check_links()
        if name:
            save(chrome, f"{self.language[:2]}-{name}", in_readme=False)

    def check_links(self) -> None:
        """Fetch each new link target of the page: same-origin ones from the browser (with its
        session), others with requests. Links that differ only in query values (sorting and
        filter choices of a list) count as one target."""
        origin = self.chrome.execute_script("return location.origin")
        ours: list[str] = []
        theirs: list[str] = []
        for href in self.chrome.execute_script(LINKS_JS):
            parts = urlsplit(href)
            key = (f"{parts.scheme}://{parts.netloc}", parts.path,
                   tuple(sorted(k for k, _ in parse_qsl(parts.query))))  # fmt: skip
            if key not in self.links_seen:
                self.links_seen.add(key)
                (ours if key[0] == origin else theirs).append(href.split("#")[0])
        answers = self.chrome.execute_async_script(FETCH_JS, ours) if ours else []
        for url in theirs:
            try:
                answer = requests.get(url, timeout=20, allow_redirects=False)
                answers.append([url, answer.status_code])
            except requests.RequestException as error:
                answers.append([url, str(error)])
        for url, status in answers:
            if not isinstance(status, int) or status >= 400:
                self.problems.append(f"link {url} on {self.chrome.current_url}: {status}")


def console_rows(product) -> None:
    """At least one row of every model the console shows (the webhook endpoint first, so the
    events below become messages with deliveries and attempts)."""
    _endpoint, secret = endpoint_create(
        provider=product.provider, url=f"{product.wecom.url}/sandbox/webhooks/", internal=True
    )
    product.wecom.action("webhook_inbox", secret=secret)
    register_code_create(
        provider=product.provider, template_id="tpldemo001", expires_in=600,
        code=provider_api(product.provider).get_register_code(template_id="tpldemo001").value,
    )  # fmt: skip
    key, _row = service_key_create(name="crm", provider=product.provider)
    member = Member.objects.order_by("pk").first()
    handed = product.http.get(  # a credential grant, through the central credential API
        f"{product.url}/api/v1/corps/{member.corp.corpid}/access-token/",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert handed.status_code == 200, handed.text
    api_token_issue(member=member)
    order = order_create(
        corp=member.corp, buyer_userid="sunyue", base_count=2, interop_count=0, months=1
    )
    assert product.wecom.action("license_pay", order_id=order.order_id)["push"]["ok"]
    unlicensed_record(member.corp, member.userid)
    product.wecom.action("app_order", suite_id=product.suite.suite_id, corpid=member.corp.corpid)


def walk_console(walk: Walk, portal: str) -> None:
    """The dashboard, and every model's list page, its add page where the list offers one, and
    the detail page of its first row."""
    walk.visit(f"{portal}/admin/", name="dashboard")
    for model in site._registry:
        meta = model._meta
        base = f"{portal}/admin/{meta.app_label}/{meta.model_name}/"
        walk.visit(base, name=f"{meta.model_name}-list")
        if add := walk.chrome.find_elements(By.CSS_SELECTOR, "a.addlink"):
            walk.visit(add[0].get_attribute("href"), name=f"{meta.model_name}-add")
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"no {meta.model_name} row to show"
        walk.visit(f"{base}{first.pk}/change/", name=f"{meta.model_name}-detail")


def test_the_catalogue_yields_phrases_to_look_for():
    assert len(FOREIGN[ZH]) > 100 and "Refresh auth info" in FOREIGN[ZH]
    assert len(FOREIGN[EN]) > 100 and "事件记录（最近 20 条" in FOREIGN[EN]


@pytest.mark.parametrize("browser_language", [ZH, EN])
def test_every_page_in_both_languages(product, live_server, chrome, browser_language):
    walk = Walk(chrome, browser_language)
    portal, suite_id = live_server.url, product.suite.suite_id
    product.install(0)  # 星辰科技; 青山教育 installs in the browser

    # a corp admin installs the app: our link, WeCom's install page, our result page (reloaded)
    walk.visit(f"{portal}/oauth/install/{suite_id}/", name="install-wecom")
    choose(chrome, product.wecom.corps[1], "approve", f"{portal}/oauth/install/{suite_id}/done/")
    walk.check(name="install-done")
    chrome.refresh()
    walk.check()

    # a member signs in; signed in, they cannot sign in for another corp too; they sign out,
    # and the signed-in page then says how to sign in again; a used sign-in link says start again
    walk.visit(f"{portal}/oauth/login/{suite_id}/?scope=snsapi_privateinfo", name="sso-wecom")
    choose(chrome, f"{product.wecom.corps[1]}|chenjing", "sign-in", f"{portal}/oauth/me/")
    walk.check(name="signed-in")
    chrome.get(f"{portal}/oauth/login/{suite_id}/")
    choose(chrome, f"{product.wecom.corps[0]}|lina", "sign-in", f"{portal}/oauth/callback/")
    walk.check(status=403, name="sso-refused")
    chrome.get(f"{portal}/oauth/me/")
    walk.follow(chrome.find_element(By.ID, "sign-out"), name="signed-out")
    assert chrome.current_url == f"{portal}/oauth/sign-out/"
    walk.visit(f"{portal}/oauth/me/", status=401)
    walk.visit(f"{portal}/oauth/callback/{suite_id}/?code=x&state=used", status=400)

    # staff: the password page, a wrong password, then the provider QR login
    walk.visit(f"{portal}/admin/login/", name="staff-login")
    chrome.find_element(By.ID, "id_username").send_keys("nobody")
    chrome.find_element(By.ID, "id_password").send_keys("wrong")
    walk.follow(chrome.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    walk.follow(chrome.find_element(By.ID, "provider-login"), name="staff-qr-login")
    choose(chrome, f"{product.provider.corpid}|sunyue", "scan", f"{portal}/admin/")

    console_rows(product)
    walk_console(walk, portal)
    register = product.provider.register_codes.first()
    walk.visit(f"{portal}/admin/corps/registercode/{register.pk}/change/")
    image = chrome.find_element(By.ID, "register-qr")
    drawn = "return arguments[0].complete"
    wait_until(chrome, lambda d: d.execute_script(drawn, image), timeout=10)
    assert chrome.execute_script("return arguments[0].naturalWidth", image) > 0

    walk.visit(f"{product.wecom.url}/", name="sandbox-control")

    chrome.get(f"{portal}/admin/")
    walk.follow(
        chrome.find_element(By.CSS_SELECTOR, "#logout-form button"), name="staff-signed-out"
    )

    assert walk.pages > 40
    assert not walk.problems, "\n".join(walk.problems)
