"""A 代开发 (customized) template end to end against the sandbox: its corp token comes from
gettoken with the permanent code as the secret (never service/get_corp_token), and its members
sign in through the corp — browser (?corpid=) and REST ("corpid") — with auth/getuserinfo and
auth/getuserdetail, never the suite token's getuserinfo3rd."""

from __future__ import annotations

import pytest

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Suite
from sandbox.config import load_config
from tests.conftest import LivePortal
from tokens.services import corp_api, corp_credentials_drop

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATE = next(s for s in load_config().suites if s.customized)  # the demo's template


@pytest.fixture
def both(live_server, make_sandbox, settings):
    """The portal with the demo's third-party suite and its 代开发 template, tickets pushed."""
    suites = load_config().suites
    wecom = make_sandbox(portal=live_server.url)
    settings.WECOM_API_BASE = settings.WECOM_OAUTH_BASE = wecom.url
    settings.PUBLIC_BASE_URL = live_server.url
    live = LivePortal(wecom, live_server.url)
    for suite in suites:
        assert wecom.push_ticket(suite.suite_id)["pushes"][suite.suite_id]["ok"]
    yield live
    live.http.close()


def install_template(portal) -> AuthorizedCorp:
    corpid = portal.wecom.corps[0]
    pushed = portal.wecom.action("create_auth", suite_id=TEMPLATE.suite_id, corpid=corpid)
    assert pushed["push"]["ok"], pushed
    return AuthorizedCorp.objects.get(suite__suite_id=TEMPLATE.suite_id, corpid=corpid)


def test_the_template_is_a_customized_suite_whose_corp_token_comes_from_gettoken(both):
    assert Suite.objects.get(suite_id=TEMPLATE.suite_id).kind == Suite.Kind.CUSTOMIZED
    corp = install_template(both)
    corp_credentials_drop(corp=corp)  # the install's own token gone: the next one is fetched
    both.wecom.reset_logs()
    assert corp_api(corp).user_get(userid="lina").name == "李娜"
    endpoints = [c["endpoint"] for c in both.wecom.calls()]
    assert "gettoken" in endpoints and "service/get_corp_token" not in endpoints


def test_a_member_signs_in_through_the_corp_in_the_browser_flow(both):
    corp = install_template(both)
    start = both.http.get(
        f"{both.url}/oauth/login/{TEMPLATE.suite_id}/?corpid={corp.corpid}&scope=snsapi_privateinfo",
        timeout=30,
    )
    assert start.url.startswith(both.wecom.url) and f"appid={corp.corpid}" in start.url
    signed_in = both.http.post(start.url, data={"member": f"{corp.corpid}|lina"}, timeout=30)
    assert signed_in.status_code == 200 and "李娜" in signed_in.text
    endpoints = [c["endpoint"] for c in both.wecom.calls()]
    assert "auth/getuserinfo" in endpoints and "auth/getuserdetail" in endpoints
    assert "service/auth/getuserinfo3rd" not in endpoints


def test_the_rest_exchange_needs_the_corp_for_a_template(both):
    corp = install_template(both)
    code = both.wecom.action(
        "oauth_code", suite_id=TEMPLATE.suite_id, corpid=corp.corpid, userid="lina"
    )["code"]
    url = f"{both.url}/api/v1/auth/sso/"
    missing = both.http.post(url, json={"suite_id": TEMPLATE.suite_id, "code": code}, timeout=30)
    assert (missing.status_code, missing.json()["code"]) == (400, "corpid_required")
    body = {"suite_id": TEMPLATE.suite_id, "code": code, "corpid": corp.corpid}
    answer = both.http.post(url, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["member"]["userid"] == "lina"
    again = both.http.post(url, json=body, timeout=30)  # the code is single use
    assert (again.status_code, again.json()["code"]) == (400, "sign_in_refused")


def test_a_templates_contact_changes_arrive_as_events_on_the_data_url(both):
    corp = install_template(both)
    pushed = both.wecom.action(
        "change_contact", suite_id=TEMPLATE.suite_id, corpid=corp.corpid,
        change_type="update_user", data={"userid": "lina", "name": "李娜娜"},
    )  # fmt: skip
    assert pushed["push"]["ok"], pushed
    [record] = CallbackEvent.objects.filter(kind="change_contact", receiver="data")
    assert record.status == "processed" and "<Event>" in record.xml
    assert corp.members.get(userid="lina").name == "李娜娜"


def test_the_console_makes_an_authorization_link_that_installs_the_template(both, admin_client):
    template = Suite.objects.get(suite_id=TEMPLATE.suite_id)
    page = admin_client.post(
        "/admin/corps/suite/",
        {"action": "customized_auth_link", "_selected_action": [template.pk]},
    )
    assert page.status_code == 200
    link = page.context["link"]
    assert link.startswith(both.wecom.url) and page.context["state"].startswith("dk")
    assert 'id="customized-qr"' in page.content.decode()
    corpid = both.wecom.corps[1]
    assert both.http.get(link, timeout=30).status_code == 200
    done = both.http.post(link, data={"corpid": corpid}, timeout=30)
    assert done.status_code == 200
    corp = AuthorizedCorp.objects.get(suite=template, corpid=corpid)
    assert corp.is_active and corp.install_state == page.context["state"]


def test_the_corp_page_shows_the_template_apps_publish_state_as_wecom_reports_it(
    both, admin_client
):
    corp = install_template(both)
    corp.refresh_from_db()
    assert corp.publish_status == AuthorizedCorp.PublishStatus.IN_DEVELOPMENT
    pushed = both.wecom.action(
        "change_auth", suite_id=TEMPLATE.suite_id, corpid=corp.corpid, publish_status=2
    )
    assert pushed["push"]["ok"], pushed
    corp.refresh_from_db()
    assert corp.publish_status == AuthorizedCorp.PublishStatus.ONLINE and not corp.app_closed
    both.wecom.action("advance_clock", seconds=5)  # the same event in the same second is a retry
    both.wecom.action("change_auth", suite_id=TEMPLATE.suite_id, corpid=corp.corpid, closed=1)
    corp.refresh_from_db()
    assert corp.app_closed
    page = admin_client.get(f"/admin/corps/authorizedcorp/{corp.pk}/change/").content.decode()
    assert '<div class="readonly">online</div>' in page


def test_a_third_party_corp_has_no_publish_state_and_no_agent_get(both):
    both.wecom.reset_logs()
    corpid = both.wecom.corps[2]
    assert both.wecom.action("create_auth", suite_id=both.wecom.suite.suite_id, corpid=corpid)[
        "push"
    ]["ok"]
    corp = AuthorizedCorp.objects.get(suite__suite_id=both.wecom.suite.suite_id, corpid=corpid)
    assert corp.publish_status is None
    assert "agent/get" not in [c["endpoint"] for c in both.wecom.calls()]


def test_no_authorization_link_is_asked_for_a_third_party_suite(both, admin_client):
    suite = Suite.objects.get(suite_id=both.wecom.suite.suite_id)
    both.wecom.reset_logs()
    page = admin_client.post(
        "/admin/corps/suite/",
        {"action": "customized_auth_link", "_selected_action": [suite.pk]},
        follow=True,
    )
    assert page.status_code == 200 and "link" not in (page.context or {})
    shown = [str(m) for m in page.context["messages"]]
    assert shown == ["Select 代开发 templates of one provider."]
    assert both.wecom.calls("service/get_customized_auth_url") == []
