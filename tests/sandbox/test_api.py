"""The wecom client against a running sandbox: fields, single-use codes, expiry, ticket checks,
rate limits and fault injection, all over HTTP."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.sandbox.conftest import new_ticket
from wecom.client import (
    AuthorizationInvalidError,
    InvalidCodeError,
    NoPrivilegeError,
    RateLimitedError,
    StaticToken,
    SuiteTicketInvalidError,
    SystemBusyError,
    TokenInvalidError,
    TransportError,
    WeComAPIError,
    WeComClient,
)


class TestSuiteTickets:
    def test_the_newest_ticket_gets_a_suite_token(self, wecom, receiver, client):
        token = client.tokens.get_suite_token(
            suite_id=wecom.suite.suite_id,
            suite_secret=wecom.suite.secret,
            suite_ticket=new_ticket(wecom, receiver),
        )
        assert token.expires_in == 7200
        assert len(token.value) >= 32

    def test_the_previous_ticket_still_works_but_not_the_one_before(self, wecom, receiver, client):
        oldest = new_ticket(wecom, receiver)
        previous = new_ticket(wecom, receiver)
        new_ticket(wecom, receiver)
        ids = {"suite_id": wecom.suite.suite_id, "suite_secret": wecom.suite.secret}
        assert client.tokens.get_suite_token(**ids, suite_ticket=previous).value
        with pytest.raises(SuiteTicketInvalidError) as raised:
            client.tokens.get_suite_token(**ids, suite_ticket=oldest)
        assert raised.value.errcode == 40085

    def test_a_ticket_older_than_30_minutes_is_refused(self, wecom, receiver, client):
        ticket = new_ticket(wecom, receiver)
        wecom.action("advance_clock", seconds=1801)
        with pytest.raises(SuiteTicketInvalidError):
            client.tokens.get_suite_token(
                suite_id=wecom.suite.suite_id, suite_secret=wecom.suite.secret, suite_ticket=ticket
            )

    @pytest.mark.parametrize(
        ("override", "errcode"),
        [({"suite_id": "wwunknown"}, 40083), ({"suite_secret": "wrong"}, 40080)],
    )
    def test_a_wrong_suite_or_secret_is_refused(self, wecom, receiver, client, override, errcode):
        args = {
            "suite_id": wecom.suite.suite_id,
            "suite_secret": wecom.suite.secret,
            "suite_ticket": new_ticket(wecom, receiver),
            **override,
        }
        with pytest.raises(WeComAPIError) as raised:
            client.tokens.get_suite_token(**args)
        assert raised.value.errcode == errcode


class TestProviderToken:
    def test_the_same_token_is_returned_while_valid(self, wecom, client):
        args = {
            "corpid": wecom.config.provider.corpid,
            "provider_secret": wecom.config.provider.secret,
        }
        assert client.tokens.get_provider_token(**args) == client.tokens.get_provider_token(**args)

    def test_a_wrong_secret_is_refused(self, wecom, client):
        with pytest.raises(WeComAPIError) as raised:
            client.tokens.get_provider_token(
                corpid=wecom.config.provider.corpid, provider_secret="wrong"
            )
        assert raised.value.errcode == 40001


class TestInstall:
    def test_the_install_page_round_trip_yields_a_permanent_code(self, wecom, suite):
        pre_auth_code = suite.get_pre_auth_code()
        assert pre_auth_code.expires_in == 1200
        suite.set_session_info(pre_auth_code=pre_auth_code.value, auth_type=1)
        page = f"{wecom.url}/3rdapp/install"
        params = {
            "suite_id": wecom.suite.suite_id,
            "pre_auth_code": pre_auth_code.value,
            "redirect_uri": "https://isv.example.com/oauth/install/done/?x=1",
            "state": "abc123",
        }
        shown = requests.get(page, params=params, timeout=10)
        assert shown.status_code == 200
        assert "test authorization" in shown.text  # set_session_info(auth_type=1) took effect
        assert "青山教育" in shown.text
        response = requests.post(
            page, params=params, data={"corpid": wecom.corps[1]}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        query = parse_qs(location.query)
        assert location.netloc == "isv.example.com"
        assert query["x"] == ["1"]
        assert query["state"] == ["abc123"]
        assert query["expires_in"] == ["600"]
        result = suite.get_permanent_code(auth_code=query["auth_code"][0])
        assert result.auth_corp_info.corpid == wecom.corps[1]
        assert result.auth_corp_info.corp_name == "青山教育"
        assert result.editions[0].edition_name == "测试版"  # set_session_info's test install
        assert result.auth_user_info.name == "陈静"
        assert result.state == "abc123"

    def test_an_auth_code_works_once(self, wecom, suite):
        auth_code = wecom.action(
            "create_auth", suite_id=wecom.suite.suite_id, corpid=wecom.corps[0]
        )["auth_code"]
        suite.get_permanent_code(auth_code=auth_code)
        with pytest.raises(InvalidCodeError) as raised:
            suite.get_permanent_code(auth_code=auth_code)
        assert raised.value.errcode == 40078

    def test_v1_answers_everything_and_v2_only_the_essentials(self, wecom, suite):
        codes = [
            wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=c)["auth_code"]
            for c in wecom.corps[:2]
        ]
        full = suite.get_permanent_code(auth_code=codes[0])
        brief = suite.get_permanent_code(auth_code=codes[1], version=2)
        assert full.agents[0].agentid >= 1000002
        assert full.access_token is not None
        assert full.auth_corp_info.corp_full_name == "星辰科技有限公司"
        assert brief.agents == () and brief.access_token is None
        assert brief.auth_corp_info.corp_name == "青山教育"

    def test_ids_look_like_wecom_and_open_userids_are_per_suite(self, wecom, install):
        corpid, result = install()
        assert corpid.startswith("wp") and len(corpid) == 32
        assert result.auth_user_info.open_userid.startswith("wo")
        assert result.auth_user_info.open_userid != result.auth_user_info.userid

    def test_auth_info_and_corp_token(self, suite, install):
        corpid, result = install()
        info = suite.get_auth_info(auth_corpid=corpid, permanent_code=result.permanent_code)
        assert info.agents[0].privilege.allow_party == (1,)
        token = suite.get_corp_token(auth_corpid=corpid, permanent_code=result.permanent_code)
        assert token.expires_in == 7200

    def test_a_wrong_permanent_code_is_refused(self, suite, install):
        corpid, _ = install()
        with pytest.raises(AuthorizationInvalidError) as raised:
            suite.get_corp_token(auth_corpid=corpid, permanent_code="forged")
        assert raised.value.errcode == 40084

    def test_the_old_admin_list_needs_the_suites_agent(self, suite, install):
        corpid, result = install()
        admins = suite.get_admin_list(auth_corpid=corpid, agentid=result.agents[0].agentid)
        assert admins[0].userid == "zhangwei" and admins[0].auth_type == 1
        with pytest.raises(NoPrivilegeError):
            suite.get_admin_list(auth_corpid=corpid, agentid=1)


class TestCancelAndRevoke:
    def test_a_cancelled_corp_loses_its_tokens(self, wecom, suite, corp):
        api, corpid, result = corp
        wecom.action("cancel_auth", suite_id=wecom.suite.suite_id, corpid=corpid)
        with pytest.raises(TokenInvalidError) as raised:
            api.get_jsapi_ticket()
        assert raised.value.errcode == 40014
        with pytest.raises(AuthorizationInvalidError) as refused:
            suite.get_corp_token(auth_corpid=corpid, permanent_code=result.permanent_code)
        assert refused.value.errcode == 48004

    def test_a_reinstall_after_cancel_issues_a_new_permanent_code(self, wecom, install):
        corpid, first = install()
        wecom.action("cancel_auth", suite_id=wecom.suite.suite_id, corpid=corpid)
        _, second = install()
        assert second.permanent_code != first.permanent_code
        assert second.agents[0].agentid == first.agents[0].agentid

    def test_a_token_can_be_revoked_early(self, wecom, corp):
        api, corpid, _ = corp
        assert wecom.action("revoke_tokens", corpid=corpid)["revoked"] >= 1
        with pytest.raises(TokenInvalidError):
            api.user_get(userid="zhangwei")

    def test_tokens_expire(self, wecom, corp):
        api, _, _ = corp
        wecom.action("advance_clock", seconds=7201)
        with pytest.raises(TokenInvalidError) as raised:
            api.get_jsapi_ticket()
        assert raised.value.errcode == 42001

    def test_a_token_of_the_wrong_kind_is_refused(self, client, corp):
        _, _, result = corp
        as_suite = client.suite(StaticToken(result.access_token.value))
        with pytest.raises(TokenInvalidError) as raised:
            as_suite.get_pre_auth_code()
        assert raised.value.errcode == 40082


class TestOAuth:
    def sign_in(self, wecom, scope="snsapi_base", corp_index=0, userid="lina"):
        response = requests.post(
            f"{wecom.url}/connect/oauth2/authorize",
            params={
                "appid": wecom.suite.suite_id,
                "redirect_uri": "https://isv.example.com/oauth/callback/",
                "response_type": "code",
                "scope": scope,
                "state": "st8",
            },
            data={"member": f"{wecom.corps[corp_index]}|{userid}"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert query["state"] == ["st8"]
        return query["code"][0]

    def test_a_code_names_the_member_once(self, wecom, suite, install):
        corpid, _ = install()
        code = self.sign_in(wecom)
        identity = suite.getuserinfo3rd(code=code)
        assert (identity.corpid, identity.userid) == (corpid, "lina")
        assert identity.open_userid.startswith("wo")
        assert identity.user_ticket == ""  # snsapi_base gives no user_ticket
        with pytest.raises(InvalidCodeError) as raised:
            suite.getuserinfo3rd(code=code)
        assert raised.value.errcode == 40029

    def test_a_code_expires_after_five_minutes(self, wecom, suite, install):
        install()
        code = self.sign_in(wecom)
        wecom.action("advance_clock", seconds=301)
        with pytest.raises(InvalidCodeError) as raised:
            suite.getuserinfo3rd(code=code)
        assert raised.value.errcode == 42003

    def test_privateinfo_scope_gives_a_user_ticket_for_the_details(self, wecom, suite, install):
        install()
        identity = suite.getuserinfo3rd(code=self.sign_in(wecom, scope="snsapi_privateinfo"))
        assert identity.user_ticket and identity.expires_in == 1800
        detail = suite.getuserdetail3rd(user_ticket=identity.user_ticket)
        assert (detail.name, detail.gender) == ("李娜", "2")
        assert detail.qr_code.startswith("https://")
        wecom.action("advance_clock", seconds=1801)
        with pytest.raises(InvalidCodeError) as raised:
            suite.getuserdetail3rd(user_ticket=identity.user_ticket)
        assert raised.value.errcode == 84014

    def test_the_legacy_path_answers_capitalised_keys(self, wecom, suite, install):
        install()
        identity = suite.getuserinfo3rd(code=self.sign_in(wecom), legacy=True)
        assert identity.userid == "lina" and identity.device_id == "sandbox-device"


class TestProvider:
    def test_login_info_for_a_provider_admin(self, wecom, provider):
        response = requests.post(
            f"{wecom.url}/wwopen/sso/3rd_qrConnect",
            params={
                "appid": wecom.config.provider.corpid,
                "redirect_uri": "https://isv.example.com/oauth/provider-login/",
                "state": "p1",
                "usertype": "admin",
            },
            data={"member": f"{wecom.config.provider.corpid}|sunyue"},
            allow_redirects=False,
            timeout=10,
        )
        auth_code = parse_qs(urlsplit(response.headers["Location"]).query)["auth_code"][0]
        info = provider.get_login_info(auth_code=auth_code)
        assert info.is_admin and info.usertype == 1
        assert info.corpid == wecom.config.provider.corpid
        assert info.user.name == "孙悦"
        with pytest.raises(InvalidCodeError):
            provider.get_login_info(auth_code=auth_code)

    def test_a_plain_member_logs_in_as_usertype_5(self, wecom, provider):
        code = wecom.action("login_code", corpid=wecom.config.provider.corpid, userid="machao")
        info = provider.get_login_info(auth_code=code["auth_code"])
        assert info.usertype == 5 and not info.is_admin

    def test_register_code_then_registration_then_info(self, wecom, receiver, provider):
        code = provider.get_register_code(
            template_id="tpldemo001", state="promo1", corp_name="新公司"
        )
        assert code.expires_in == 600
        with pytest.raises(WeComAPIError) as raised:
            provider.get_register_info(register_code=code.value)
        assert raised.value.errcode == 84024
        result = wecom.action(
            "register_corp", register_code=code.value, corp_name="新公司", admin_name="钱七"
        )
        info = provider.get_register_info(register_code=code.value)
        assert info.corpid == result["corpid"]
        assert info.state == "promo1" and info.template_id == "tpldemo001"
        assert info.auth_userid == "admin"

    @pytest.mark.parametrize(
        ("args", "errcode"),
        [
            ({"template_id": "nope"}, 84020),
            ({"template_id": "tpldemo001", "state": "no spaces"}, 84025),
        ],
    )
    def test_bad_register_code_requests_are_refused(self, provider, args, errcode):
        with pytest.raises(WeComAPIError) as raised:
            provider.get_register_code(**args)
        assert raised.value.errcode == errcode

    def test_corpid_to_opencorpid_needs_an_authorization(self, wecom, provider, install):
        corpid, _ = install()
        plain = {c["corpid"]: c["plain_corpid"] for c in wecom.state()["corps"]}
        assert provider.corpid_to_opencorpid(corpid=plain[corpid]) == corpid
        with pytest.raises(NoPrivilegeError) as raised:
            provider.corpid_to_opencorpid(corpid=plain[wecom.corps[2]])
        assert raised.value.errcode == 48001


class TestCorpAPIs:
    def test_contacts(self, corp):
        api, _, _ = corp
        departments = api.department_list()
        assert [d.name for d in departments] == ["星辰科技", "研发部", "市场部"]
        assert api.user_get(userid="wangfang").name == "王芳"
        members = api.user_list(department_id=2)
        assert {m.userid for m in members} == {"wangfang", "lina"}
        everyone = api.user_simplelist(department_id=1)
        assert [m.userid for m in everyone] == ["zhangwei"]
        assert api.user_get(userid=everyone[0].open_userid).userid == "zhangwei"
        with pytest.raises(WeComAPIError) as raised:
            api.user_get(userid="nobody")
        assert raised.value.errcode == 60111

    def test_recursive_user_list(self, wecom, corp):
        api, _, _ = corp
        response = requests.get(
            f"{wecom.url}/cgi-bin/user/list",
            params={"access_token": api._tokens.get(), "department_id": 1, "fetch_child": 1},
            timeout=10,
        ).json()
        assert len(response["userlist"]) == 4

    def test_tickets_admins_permissions_and_ids(self, corp):
        api, _, _ = corp
        assert api.get_jsapi_ticket().expires_in == 7200
        assert api.get_agent_config_ticket().value != api.get_jsapi_ticket().value
        assert api.get_admin_list()[0].userid == "zhangwei"
        assert "contact:base:base" in api.get_permissions()
        converted = api.userid_to_openuserid(userid_list=["lina", "ghost"])
        assert converted.mapping["lina"].startswith("wo") and converted.invalid == ("ghost",)

    def test_message_send(self, wecom, corp):
        api, _, result = corp
        agentid = result.agents[0].agentid
        sent = api.send_text(agentid=agentid, content="你好", touser=["lina", "ghost"])
        assert sent.invalid_users == ("ghost",) and sent.msgid
        assert wecom.messages()[-1]["touser"] == ["lina"]
        with pytest.raises(WeComAPIError) as raised:
            api.send_text(agentid=agentid, content="x", touser=["ghost"])
        assert raised.value.errcode == 81013
        with pytest.raises(NoPrivilegeError):
            api.send_text(agentid=1, content="x", touser=["lina"])


class TestLimitsFaultsAndLog:
    def test_the_per_corp_rate_limit_answers_45009(self, wecom, corp):
        api, _, _ = corp
        wecom.action("rate_limit", per_minute=2)
        # WeCom counts per clock minute: move to the start of one so the calls share it
        wecom.action("advance_clock", seconds=61 - int(time.time() % 60))
        api.get_permissions()
        api.get_permissions()
        with pytest.raises(RateLimitedError) as raised:
            api.get_permissions()
        assert raised.value.errcode == 45009
        api.get_admin_list()  # the limit is per API

    def test_injected_busy_errors_are_retried_by_the_client(self, wecom, corp):
        api, _, _ = corp
        wecom.reset_logs()
        wecom.action("fault", endpoint="get_jsapi_ticket", count=2, errcode=-1)
        assert api.get_jsapi_ticket().value
        assert [c["errcode"] for c in wecom.calls("get_jsapi_ticket")] == [-1, -1, 0]

    def test_an_injected_error_reaches_the_caller(self, wecom, corp):
        api, _, _ = corp
        wecom.action("fault", endpoint="/cgi-bin/user/get", count=1, errcode=60020)
        with pytest.raises(NoPrivilegeError):
            api.user_get(userid="lina")
        assert api.user_get(userid="lina").userid == "lina"

    def test_an_injected_delay_trips_the_client_timeout(self, wecom, corp):
        _, _, result = corp
        slow = WeComClient(wecom.url, timeout=0.2, max_retries=0)
        wecom.action("fault", endpoint="get_jsapi_ticket", count=1, delay_ms=600)
        with pytest.raises(TransportError):
            slow.corp(StaticToken(result.access_token.value)).get_jsapi_ticket()

    def test_the_call_log_counts_calls_and_resets(self, wecom, suite, install):
        wecom.reset_logs()
        corpid, result = install()
        suite.get_corp_token(auth_corpid=corpid, permanent_code=result.permanent_code)
        calls = wecom.calls("service/get_corp_token")
        assert len(calls) == 1
        assert calls[0]["token_kind"] == "suite" and calls[0]["corpid"] == corpid
        assert calls[0]["errcode"] == 0
        wecom.reset_logs()
        assert wecom.calls() == []

    def test_malformed_json_gets_wecoms_warning(self, wecom):
        body = requests.post(
            f"{wecom.url}/cgi-bin/service/get_suite_token", data=b"{not json", timeout=10
        ).json()
        assert body["errcode"] == 40058
        assert "Warning: wrong json format." in body["errmsg"]
        assert "more info at" in body["errmsg"]

    def test_missing_tokens_are_refused(self, wecom):
        body = requests.get(f"{wecom.url}/cgi-bin/get_jsapi_ticket", timeout=10).json()
        assert body["errcode"] == 41001

    def test_a_busy_fault_that_outlasts_the_retries_surfaces(self, wecom, corp):
        api, _, _ = corp
        wecom.action("fault", endpoint="get_jsapi_ticket", count=10, errcode=-1)
        with pytest.raises(SystemBusyError):
            api.get_jsapi_ticket()


def test_a_fault_can_target_one_corp(wecom, suite, install):
    first, result_a = install(0)
    second, result_b = install(1)
    wecom.action("fault", endpoint="service/get_corp_token", count=1, errcode=45009, corpid=second)
    assert suite.get_corp_token(auth_corpid=first, permanent_code=result_a.permanent_code).value
    with pytest.raises(RateLimitedError):
        suite.get_corp_token(auth_corpid=second, permanent_code=result_b.permanent_code)


def test_the_contact_sync_token_sets_scope_only_after_the_install_and_ends_with_success(
    wecom, client, install
):
    """agent/set_scope needs the app installed (40056 before); contact_sync_success ends the
    token (40014 after)."""
    corpid = wecom.corps[0]
    sandbox = wecom.server.app.sandbox
    token = sandbox.issue_credential("contact_sync", (corpid,), 1800).value
    sync = client.contact_sync(token)
    with pytest.raises(WeComAPIError) as refused:
        sync.set_scope(agentid=1000002, allow_party=[1])
    assert refused.value.errcode == 40056
    _, installed = install(0)
    result = sync.set_scope(agentid=installed.agents[0].agentid, allow_party=[1, 99])
    assert result.invalid_parties == (99,)
    sync.contact_sync_success()
    with pytest.raises(TokenInvalidError):
        sync.set_scope(agentid=installed.agents[0].agentid, allow_party=[1])
