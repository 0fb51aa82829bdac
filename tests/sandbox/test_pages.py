"""The sandbox's browser pages render, refuse bad input clearly, and redirect with the right
parameters."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from wecom.client import StaticToken, WeComClient


def get(wecom, path, **params):
    return requests.get(f"{wecom.url}{path}", params=params, allow_redirects=False, timeout=10)


@pytest.fixture
def pre_auth_code(wecom, receiver):
    wecom.push_ticket()
    client = WeComClient(wecom.url)
    token = client.tokens.get_suite_token(
        suite_id=wecom.suite.suite_id,
        suite_secret=wecom.suite.secret,
        suite_ticket=receiver.last("suite_ticket").suite_ticket,
    )
    return client.suite(StaticToken(token.value)).get_pre_auth_code().value


def install_params(wecom, code, **extra):
    return {
        "suite_id": wecom.suite.suite_id,
        "pre_auth_code": code,
        "redirect_uri": "http://127.0.0.1:8000/oauth/install/x/done/",
        "state": "s",
        **extra,
    }


class TestInstallPage:
    def test_it_shows_the_suite_its_permissions_and_the_corps(self, wecom, pre_auth_code):
        page = get(wecom, "/3rdapp/install", **install_params(wecom, pre_auth_code))
        assert page.status_code == 200
        assert "isvportal 演示应用" in page.text
        assert "permissions" in page.text
        for name in ("星辰科技", "青山教育", "海川物流"):
            assert name in page.text
        assert 'id="approve"' in page.text

    def test_approving_pushes_create_auth_with_the_redirects_auth_code(
        self, wecom, receiver, pre_auth_code
    ):
        response = requests.post(
            f"{wecom.url}/3rdapp/install",
            params=install_params(wecom, pre_auth_code),
            data={"corpid": wecom.corps[2]},
            allow_redirects=False,
            timeout=10,
        )
        auth_code = parse_qs(urlsplit(response.headers["Location"]).query)["auth_code"][0]
        for _ in range(200):
            if receiver.events("create_auth"):
                break
            time.sleep(0.01)
        assert receiver.last("create_auth").auth_code == auth_code

    def test_a_pre_auth_code_installs_once(self, wecom, pre_auth_code):
        params = install_params(wecom, pre_auth_code)
        url = f"{wecom.url}/3rdapp/install"
        first = requests.post(
            url, params=params, data={"corpid": wecom.corps[0]}, allow_redirects=False, timeout=10
        )
        again = requests.post(
            url, params=params, data={"corpid": wecom.corps[0]}, allow_redirects=False, timeout=10
        )
        assert first.status_code == 302
        assert again.status_code == 400 and "40077" in again.text

    @pytest.mark.parametrize(
        ("override", "reason"),
        [
            ({"suite_id": "wwnope"}, "Unknown suite_id"),
            ({"pre_auth_code": "forged"}, "pre_auth_code is invalid or expired"),
            ({"redirect_uri": "javascript:alert(1)"}, "redirect_uri must be an http(s) URL"),
        ],
    )
    def test_bad_requests_get_an_error_page(self, wecom, pre_auth_code, override, reason):
        page = get(wecom, "/3rdapp/install", **install_params(wecom, pre_auth_code, **override))
        assert page.status_code == 400
        assert reason in page.text

    def test_an_expired_pre_auth_code_is_refused(self, wecom, pre_auth_code):
        wecom.action("advance_clock", seconds=1201)
        page = get(wecom, "/3rdapp/install", **install_params(wecom, pre_auth_code))
        assert page.status_code == 400 and "42007" in page.text


class TestAuthorizePage:
    def params(self, wecom, **extra):
        return {
            "appid": wecom.suite.suite_id,
            "redirect_uri": "http://127.0.0.1:8000/oauth/callback/x/",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "q",
            **extra,
        }

    def test_it_lists_the_members_of_installed_corps_only(self, wecom):
        wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=wecom.corps[1])
        page = get(wecom, "/connect/oauth2/authorize", **self.params(wecom))
        assert page.status_code == 200
        assert "陈静" in page.text and "杨磊" in page.text
        assert "张伟" not in page.text

    def test_it_says_so_when_nobody_installed_the_app(self, wecom):
        page = get(wecom, "/connect/oauth2/authorize", **self.params(wecom))
        assert "No corp has installed this app yet." in page.text

    def test_privateinfo_asks_for_consent(self, wecom):
        wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=wecom.corps[0])
        page = get(
            wecom, "/connect/oauth2/authorize", **self.params(wecom, scope="snsapi_privateinfo")
        )
        assert "snsapi_privateinfo" in page.text and "Allow and continue" in page.text

    @pytest.mark.parametrize(
        ("override", "reason"),
        [
            ({"appid": "wwnope"}, "Unknown appid"),
            ({"scope": "snsapi_everything"}, "Unknown scope"),
            ({"response_type": "token"}, "response_type must be code"),
            ({"redirect_uri": "/relative"}, "redirect_uri must be an http(s) URL"),
        ],
    )
    def test_bad_requests_get_an_error_page(self, wecom, override, reason):
        page = get(wecom, "/connect/oauth2/authorize", **self.params(wecom, **override))
        assert page.status_code == 400 and reason in page.text

    def test_picking_a_member_of_a_corp_without_the_app_is_refused(self, wecom):
        response = requests.post(
            f"{wecom.url}/connect/oauth2/authorize",
            params=self.params(wecom),
            data={"member": f"{wecom.corps[0]}|zhangwei"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 400 and "not installed" in response.text


class TestProviderLoginPage:
    def params(self, wecom, **extra):
        return {
            "appid": wecom.config.provider.corpid,
            "redirect_uri": "http://127.0.0.1:8000/oauth/provider-login/",
            "state": "z",
            **extra,
        }

    def test_admins_see_the_provider_staff_and_customer_admins(self, wecom):
        page = get(wecom, "/wwopen/sso/3rd_qrConnect", **self.params(wecom))
        assert page.status_code == 200
        assert "孙悦" in page.text and "马超" in page.text  # the provider's own staff
        assert "张伟" in page.text and "王芳" not in page.text  # customer admins only

    def test_member_usertype_lists_every_member(self, wecom):
        page = get(wecom, "/wwopen/sso/3rd_qrConnect", **self.params(wecom, usertype="member"))
        assert "王芳" in page.text

    def test_scanning_redirects_with_an_auth_code(self, wecom):
        response = requests.post(
            f"{wecom.url}/wwopen/sso/3rd_qrConnect",
            params=self.params(wecom),
            data={"member": f"{wecom.config.provider.corpid}|sunyue"},
            allow_redirects=False,
            timeout=10,
        )
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert response.status_code == 302 and query["state"] == ["z"] and query["auth_code"]

    def test_another_appid_is_refused(self, wecom):
        page = get(wecom, "/wwopen/sso/3rd_qrConnect", **self.params(wecom, appid="wwother"))
        assert page.status_code == 400 and "provider&#x27;s corpid" in page.text


class TestRegisterPage:
    def test_a_register_link_creates_a_corp_once(self, wecom, receiver):
        code = wecom.action(
            "register_code", template_id="tpldemo001", corp_name="预填公司", admin_name="预填"
        )["register_code"]
        form = get(wecom, "/3rdservice/wework/register", register_code=code)
        assert form.status_code == 200 and 'value="预填公司"' in form.text
        done = requests.post(
            f"{wecom.url}/3rdservice/wework/register",
            params={"register_code": code},
            data={"corp_name": "新注册公司", "admin_name": "赵六"},
            timeout=10,
        )
        assert done.status_code == 200 and 'id="registered"' in done.text
        assert receiver.events("register_corp")
        again = get(wecom, "/3rdservice/wework/register", register_code=code)
        assert again.status_code == 400 and "invalid, used or expired" in again.text

    def test_an_unknown_register_code_is_refused(self, wecom):
        page = get(wecom, "/3rdservice/wework/register", register_code="nope")
        assert page.status_code == 400


class TestControlPage:
    def test_it_lists_suites_corps_members_and_logs(self, wecom):
        wecom.push_ticket()
        page = get(wecom, "/")
        assert page.status_code == 200
        for text in (
            "wwdemosuite0000001",
            "星辰科技",
            "王芳",
            'id="pushes"',
            'id="calls"',
            "suite_ticket",
        ):
            assert text in page.text

    def test_a_button_runs_its_action_and_reports_back(self, wecom, receiver):
        response = requests.post(
            f"{wecom.url}/sandbox/act/create_auth",
            data={"suite_id": wecom.suite.suite_id, "corpid": wecom.corps[0]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303
        shown = requests.get(f"{wecom.url}{response.headers['Location']}", timeout=10)
        assert "create_auth done" in shown.text
        assert receiver.events("create_auth")

    def test_a_failing_button_says_why(self, wecom):
        response = requests.post(
            f"{wecom.url}/sandbox/act/cancel_auth",
            data={"suite_id": wecom.suite.suite_id, "corpid": wecom.corps[0]},
            timeout=10,
        )
        assert "cancel_auth failed" in response.text and "not installed" in response.text

    def test_it_counts_tickets_pushed_and_names_departments(self, wecom):
        for _ in range(3):
            wecom.push_ticket()
        suite, template = wecom.state()["suites"]  # the demo's app and its 代开发 template
        pushed = (suite["tickets_pushed"], template["tickets_pushed"])
        assert pushed == (3, 0)  # pushes sent, not the two still valid
        page = get(wecom, "/").text
        assert "研发部" in page and "{'" not in page

    def test_a_new_register_link_is_shown_as_a_link(self, wecom):
        shown = requests.post(
            f"{wecom.url}/sandbox/act/register_code", data={"template_id": "tpldemo001"}, timeout=10
        )
        assert f"{wecom.url}/3rdservice/wework/register?register_code=" in shown.text
        assert "{'" not in shown.text

    def test_create_party_keeps_the_typed_department_id(self, wecom, receiver):
        corpid = wecom.corps[0]
        wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=corpid)
        wecom.action("change_contact", suite_id=wecom.suite.suite_id, corpid=corpid,
                     change_type="create_party", name="新部门", id="42")  # fmt: skip
        corp = next(c for c in wecom.state()["corps"] if c["corpid"] == corpid)
        assert {"id": 42, "name": "新部门"}.items() <= next(
            d for d in corp["departments"] if d["id"] == 42
        ).items()

    def test_an_unknown_path_is_a_404(self, wecom):
        assert get(wecom, "/nowhere").status_code == 404
        body = get(wecom, "/cgi-bin/service/nowhere").json()
        assert body["errcode"] == 40058
