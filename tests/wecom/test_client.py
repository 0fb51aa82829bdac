from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from wecom.client import (
    AuthorizationInvalidError,
    InvalidCodeError,
    LicenseAccountError,
    LicenseError,
    LicenseOrderError,
    LicenseRequiredError,
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
from wecom.client.license_models import BuyItem
from wecom.client.models import Credential, PermanentCode

API = "https://qyapi.test"
SUITE_TOKEN = "SUITE-TOKEN-SECRET-0001"
PROVIDER_TOKEN = "PROVIDER-TOKEN-SECRET-0002"
CORP_TOKEN = "CORP-TOKEN-SECRET-0003"
SECRET = "SUITE-SECRET-VALUE-0004"


@pytest.fixture
def delays():
    return []


@pytest.fixture
def client(delays):
    return WeComClient(API, sleep=delays.append)


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def reply(http, method, path, body, status=200):
    http.add(method, f"{API}/cgi-bin/{path}", json=body, status=status)


def only_call(http):
    assert len(http.calls) == 1
    request = http.calls[0].request
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    body = json.loads(request.body) if request.body else None
    return query, body


PERMANENT_CODE_V1 = {
    "errcode": 0,
    "errmsg": "ok",
    "access_token": "corp-token",
    "expires_in": 7200,
    "permanent_code": "PERM",
    "dealer_corp_info": {"corpid": "wwdealer", "corp_name": "代理"},
    "auth_corp_info": {
        "corpid": "wwcorp",
        "corp_name": "腾讯",
        "corp_type": "verified",
        "corp_user_max": 50,
        "subject_type": 1,
        "verified_end_time": 1431775834,
        "corp_scale": "1-50人",
    },
    "auth_info": {
        "agent": [
            {
                "agentid": 1000012,
                "name": "NAME",
                "auth_mode": 1,
                "privilege": {"level": 1, "allow_party": [1, 2], "allow_user": ["zhansan"]},
                "shared_from": {"corpid": "wwyyyyy", "share_type": 1},
            }
        ]
    },
    "auth_user_info": {"userid": "aa", "open_userid": "oo", "name": "xxx", "avatar": "http://a"},
    "register_code_info": {"register_code": "1111", "template_id": "tpl111", "state": "s1"},
    "state": "state001",
    "edition_info": {
        "agent": [
            {"agentid": 1000012, "edition_id": "RLS65535", "app_status": 3, "user_limit": 200}
        ]
    },
}


def suite(client):
    return client.suite(StaticToken(SUITE_TOKEN))


def provider(client):
    return client.provider(StaticToken(PROVIDER_TOKEN))


def corp(client):
    return client.corp(StaticToken(CORP_TOKEN))


# (call, http method, path, response, token query name, expected body subset, check on result)
ENDPOINTS = [
    (
        lambda c: c.tokens.get_provider_token(corpid="wwp", provider_secret=SECRET),
        "POST",
        "service/get_provider_token",
        {"provider_access_token": "pt", "expires_in": 7200},
        None,
        {"corpid": "wwp", "provider_secret": SECRET},
        lambda r: r == Credential("pt", 7200),
    ),
    (
        lambda c: c.tokens.get_suite_token(suite_id="ww1", suite_secret=SECRET, suite_ticket="tk"),
        "POST",
        "service/get_suite_token",
        {"suite_access_token": "st", "expires_in": 7200},
        None,
        {"suite_id": "ww1", "suite_secret": SECRET, "suite_ticket": "tk"},
        lambda r: r.value == "st",
    ),
    (
        lambda c: c.tokens.gettoken(corpid="wwc", corpsecret=SECRET),
        "GET",
        "gettoken",
        {"errcode": 0, "access_token": "ct", "expires_in": 7200},
        None,
        None,
        lambda r: r.value == "ct",
    ),
    (
        lambda c: suite(c).get_pre_auth_code(),
        "GET",
        "service/get_pre_auth_code",
        {"errcode": 0, "pre_auth_code": "pac", "expires_in": 1200},
        "suite_access_token",
        None,
        lambda r: r == Credential("pac", 1200),
    ),
    (
        lambda c: suite(c).set_session_info(pre_auth_code="pac", auth_type=1),
        "POST",
        "service/set_session_info",
        {"errcode": 0, "errmsg": "ok"},
        "suite_access_token",
        {"pre_auth_code": "pac", "session_info": {"auth_type": 1}},
        lambda r: r is None,
    ),
    (
        lambda c: suite(c).get_permanent_code(auth_code="ac"),
        "POST",
        "service/get_permanent_code",
        PERMANENT_CODE_V1,
        "suite_access_token",
        {"auth_code": "ac"},
        lambda r: (
            r.permanent_code == "PERM"
            and r.auth_corp_info.corp_name == "腾讯"
            and r.agents[0].agentid == 1000012
            and r.agents[0].privilege.allow_party == (1, 2)
            and r.agents[0].shared_from_corpid == "wwyyyyy"
            and r.editions[0].app_status == 3
            and r.dealer.corpid == "wwdealer"
            and r.auth_user_info.open_userid == "oo"
            and r.register_code_info.template_id == "tpl111"
            and r.access_token == Credential("corp-token", 7200)
        ),
    ),
    (
        lambda c: suite(c).get_permanent_code(auth_code="ac", version=2),
        "POST",
        "service/v2/get_permanent_code",
        {
            "errcode": 0,
            "permanent_code": "P2",
            "auth_corp_info": {"corpid": "wc", "corp_name": "n"},
        },
        "suite_access_token",
        {"auth_code": "ac"},
        lambda r: r.permanent_code == "P2" and r.agents == () and r.access_token is None,
    ),
    (
        lambda c: suite(c).get_auth_info(auth_corpid="wc", permanent_code="P"),
        "POST",
        "service/get_auth_info",
        PERMANENT_CODE_V1,
        "suite_access_token",
        {"auth_corpid": "wc", "permanent_code": "P"},
        lambda r: r.auth_corp_info.corpid == "wwcorp" and r.agents[0].auth_mode == 1,
    ),
    (
        lambda c: suite(c).get_auth_info(auth_corpid="wc", permanent_code="P", version=2),
        "POST",
        "service/v2/get_auth_info",
        PERMANENT_CODE_V1,
        "suite_access_token",
        None,
        lambda r: r.editions[0].edition_id == "RLS65535",
    ),
    (
        lambda c: suite(c).get_corp_token(auth_corpid="wc", permanent_code="P"),
        "POST",
        "service/get_corp_token",
        {"access_token": "ct", "expires_in": 7200},
        "suite_access_token",
        {"auth_corpid": "wc", "permanent_code": "P"},
        lambda r: r == Credential("ct", 7200),
    ),
    (
        lambda c: suite(c).get_admin_list(auth_corpid="wc", agentid=1000046),
        "POST",
        "service/get_admin_list",
        {"admin": [{"userid": "zhangsan", "open_userid": "o1", "auth_type": 1}]},
        "suite_access_token",
        {"auth_corpid": "wc", "agentid": 1000046},
        lambda r: r[0].open_userid == "o1" and r[0].auth_type == 1,
    ),
    (
        lambda c: suite(c).getuserinfo3rd(code="CODE"),
        "GET",
        "service/auth/getuserinfo3rd",
        {
            "errcode": 0,
            "corpid": "wc",
            "userid": "u",
            "user_ticket": "ut",
            "expires_in": 7200,
            "open_userid": "ou",
        },
        "suite_access_token",
        None,
        lambda r: (
            (r.corpid, r.userid, r.open_userid, r.user_ticket) == ("wc", "u", "ou", "ut")
            and r.is_member
        ),
    ),
    (
        lambda c: suite(c).getuserinfo3rd(code="CODE", legacy=True),
        "GET",
        "service/getuserinfo3rd",
        {"errcode": 0, "CorpId": "wc", "UserId": "u", "DeviceId": "d", "user_ticket": "ut"},
        "access_token",
        None,
        lambda r: (r.corpid, r.userid, r.device_id) == ("wc", "u", "d"),
    ),
    (
        lambda c: suite(c).getuserinfo3rd(code="CODE"),
        "GET",
        "service/auth/getuserinfo3rd",
        {"errcode": 0, "openid": "OPENID"},
        "suite_access_token",
        None,
        lambda r: r.openid == "OPENID" and not r.is_member,
    ),
    (
        lambda c: suite(c).getuserdetail3rd(user_ticket="ut"),
        "POST",
        "service/auth/getuserdetail3rd",
        {
            "errcode": 0,
            "corpid": "wc",
            "userid": "lisi",
            "name": "李四",
            "gender": "1",
            "avatar": "http://a",
            "qr_code": "https://q",
        },
        "suite_access_token",
        {"user_ticket": "ut"},
        lambda r: (r.gender, r.qr_code, r.name) == ("1", "https://q", "李四"),
    ),
    (
        lambda c: suite(c).getuserdetail3rd(user_ticket="ut", legacy=True),
        "POST",
        "service/getuserdetail3rd",
        {"errcode": 0, "userid": "lisi", "mobile": "138"},
        "access_token",
        None,
        lambda r: r.mobile == "138",
    ),
    (
        lambda c: provider(c).get_login_info(auth_code="lac"),
        "POST",
        "service/get_login_info",
        {
            "errcode": 0,
            "usertype": 1,
            "user_info": {"userid": "u", "open_userid": "o", "name": "n"},
            "corp_info": {"corpid": "wx6c"},
            "agent": [{"agentid": 0, "auth_type": 1}],
            "auth_info": {"department": [{"id": 2, "writable": True}]},
        },
        "access_token",
        {"auth_code": "lac"},
        lambda r: (
            r.is_admin
            and r.corpid == "wx6c"
            and r.agents == ((0, 1),)
            and r.departments == ((2, True),)
            and r.user.open_userid == "o"
        ),
    ),
    (
        lambda c: provider(c).get_register_code(template_id="tpl", state="S1", corp_name="腾讯"),
        "POST",
        "service/get_register_code",
        {"register_code": "RC", "expires_in": 600},
        "provider_access_token",
        {"template_id": "tpl", "state": "S1", "corp_name": "腾讯"},
        lambda r: r == Credential("RC", 600),
    ),
    (
        lambda c: provider(c).get_register_info(register_code="RC"),
        "POST",
        "service/get_register_info",
        {
            "errcode": 0,
            "corpid": "wwd",
            "contact_sync": {"access_token": "cs", "expires_in": 1800},
            "auth_user_info": {"userid": "zs"},
            "state": "S1",
            "template_id": "tpl",
        },
        "provider_access_token",
        {"register_code": "RC"},
        lambda r: (
            r.corpid == "wwd" and r.contact_sync == Credential("cs", 1800) and r.auth_userid == "zs"
        ),
    ),
    (
        lambda c: provider(c).corpid_to_opencorpid(corpid="plain"),
        "POST",
        "service/corpid_to_opencorpid",
        {"errcode": 0, "open_corpid": "AAAAAA"},
        "provider_access_token",
        {"corpid": "plain"},
        lambda r: r == "AAAAAA",
    ),
    (
        lambda c: provider(c).get_customized_auth_url(templateid_list=["dk1"], state="s"),
        "POST",
        "service/get_customized_auth_url",
        {"qrcode_url": "https://qr", "expires_in": 864000},
        "provider_access_token",
        {"state": "s", "templateid_list": ["dk1"]},
        lambda r: r.expires_in == 864000,
    ),
    (
        lambda c: provider(c).license.create_new_order(
            corpid="wc", buyer_userid="b", base_count=10, months=12
        ),
        "POST",
        "license/create_new_order",
        {"errcode": 0, "order_id": "OI1"},
        "provider_access_token",
        {"corpid": "wc", "account_count": {"base_count": 10, "external_contact_count": 0}},
        lambda r: r == "OI1",
    ),
    (
        lambda c: provider(c).license.create_renew_order_job(corpid="wc", accounts=[("u1", 1)]),
        "POST",
        "license/create_renew_order_job",
        {"jobid": "J1", "invalid_account_list": [{"userid": "u9", "type": 1}]},
        "provider_access_token",
        {"account_list": [{"userid": "u1", "type": 1}]},
        lambda r: r == ("J1", ("u9",)),
    ),
    (
        lambda c: provider(c).license.submit_order_job(jobid="J1", buyer_userid="b", months=1),
        "POST",
        "license/submit_order_job",
        {"order_id": "OI2"},
        "provider_access_token",
        {"jobid": "J1", "account_duration": {"months": 1}},
        lambda r: r == "OI2",
    ),
    (
        lambda c: provider(c).license.list_order(corpid="wc", limit=10),
        "POST",
        "license/list_order",
        {"order_list": [{"order_id": "OI1", "order_type": 1}], "next_cursor": "n", "has_more": 1},
        "provider_access_token",
        {"corpid": "wc", "limit": 10},
        lambda r: r.orders[0].order_id == "OI1" and r.has_more,
    ),
    (
        lambda c: provider(c).license.get_order(order_id="OI1"),
        "POST",
        "license/get_order",
        {
            "order": {
                "order_id": "OI1",
                "order_type": 1,
                "order_status": 1,
                "price": 1000,
                "account_count": {"base_count": 2},
                "account_duration": {"months": 3},
            }
        },
        "provider_access_token",
        {"order_id": "OI1"},
        lambda r: (r.order_status, r.price, r.base_count, r.months) == (1, 1000, 2, 3),
    ),
    (
        lambda c: provider(c).license.list_order_account(order_id="OI1"),
        "POST",
        "license/list_order_account",
        {"account_list": [{"active_code": "AC", "userid": "u", "type": 1}], "has_more": 0},
        "provider_access_token",
        {"order_id": "OI1"},
        lambda r: r.accounts[0].active_code == "AC" and not r.has_more,
    ),
    (
        lambda c: provider(c).license.cancel_order(corpid="wc", order_id="OI1"),
        "POST",
        "license/cancel_order",
        {"errcode": 0},
        "provider_access_token",
        {"corpid": "wc", "order_id": "OI1"},
        lambda r: r is None,
    ),
    (
        lambda c: provider(c).license.active_account(active_code="AC", corpid="wc", userid="u"),
        "POST",
        "license/active_account",
        {"errcode": 0},
        "provider_access_token",
        {"active_code": "AC", "corpid": "wc", "userid": "u"},
        lambda r: r is None,
    ),
    (
        lambda c: provider(c).license.batch_active_account(corpid="wc", activations=[("AC", "u")]),
        "POST",
        "license/batch_active_account",
        {"active_result": [{"active_code": "AC", "userid": "u", "errcode": 701001}]},
        "provider_access_token",
        {"active_list": [{"active_code": "AC", "userid": "u"}]},
        lambda r: r[0].key == "AC" and r[0].errcode == 701001,
    ),
    (
        lambda c: provider(c).license.get_active_info_by_code(corpid="wc", active_code="AC"),
        "POST",
        "license/get_active_info_by_code",
        {
            "active_info": {
                "active_code": "AC",
                "type": 2,
                "status": 2,
                "userid": "u",
                "expire_time": 99,
            }
        },
        "provider_access_token",
        None,
        lambda r: (r.type, r.expire_time) == (2, 99),
    ),
    (
        lambda c: provider(c).license.get_active_info_by_user(corpid="wc", userid="u"),
        "POST",
        "license/get_active_info_by_user",
        {"active_status": 1, "active_info_list": [{"active_code": "AC", "type": 1}]},
        "provider_access_token",
        {"corpid": "wc", "userid": "u"},
        lambda r: r[0].active_code == "AC",
    ),
    (
        lambda c: provider(c).license.list_actived_account(corpid="wc"),
        "POST",
        "license/list_actived_account",
        {"account_list": [{"userid": "u", "type": 1, "active_time": 1, "expire_time": 2}]},
        "provider_access_token",
        {"corpid": "wc"},
        lambda r: r.accounts[0].active_time == 1,
    ),
    (
        lambda c: provider(c).license.get_app_license_info(corpid="wc", suite_id="ww1"),
        "POST",
        "license/get_app_license_info",
        {
            "license_status": 1,
            "trail_info": {"start_time": 1, "end_time": 2},
            "license_check_time": 3,
        },
        "provider_access_token",
        {"corpid": "wc", "suite_id": "ww1"},
        lambda r: (r.license_status, r.trial_end_time, r.license_check_time) == (1, 2, 3),
    ),
    (
        lambda c: provider(c).license.set_auto_active_status(corpid="wc", enabled=True),
        "POST",
        "license/set_auto_active_status",
        {"errcode": 0},
        "provider_access_token",
        {"corpid": "wc", "auto_active_status": 1},
        lambda r: r is None,
    ),
    (
        lambda c: provider(c).license.get_auto_active_status(corpid="wc"),
        "POST",
        "license/get_auto_active_status",
        {"auto_active_status": 1},
        "provider_access_token",
        {"corpid": "wc"},
        lambda r: r is True,
    ),
    (
        lambda c: provider(c).license.batch_transfer_license(corpid="wc", transfers=[("a", "b")]),
        "POST",
        "license/batch_transfer_license",
        {"transfer_result": [{"handover_userid": "a", "takeover_userid": "b", "errcode": 0}]},
        "provider_access_token",
        {"transfer_list": [{"handover_userid": "a", "takeover_userid": "b"}]},
        lambda r: r[0].key == "a" and r[0].errcode == 0,
    ),
    (
        lambda c: provider(c).license.active_account_by_type(corpid="wc", userid="u", type=2),
        "POST",
        "license/active_account_by_type",
        {"errcode": 0},
        "provider_access_token",
        {"corpid": "wc", "userid": "u", "type": 2},
        lambda r: r is None,
    ),
    (
        lambda c: provider(c).license.batch_get_active_info_by_code(
            corpid="wc", active_codes=["A", "B"]
        ),
        "POST",
        "license/batch_get_active_info_by_code",
        {
            "active_info_list": [
                {"active_code": "A", "type": 1, "status": 5, "merge_info": {"to_active_code": "C"}}
            ],
            "invalid_active_code_list": ["B"],
        },
        "provider_access_token",
        {"corpid": "wc", "active_code_list": ["A", "B"]},
        lambda r: r[0][0].merged_into == "C" and r[0][0].status == 5 and r[1] == ("B",),
    ),
    (
        lambda c: provider(c).license.batch_share_active_code(
            from_corpid="up", to_corpid="down", active_codes=["A"]
        ),
        "POST",
        "license/batch_share_active_code",
        {"share_result": [{"active_code": "A", "errcode": 701055, "errmsg": "shared"}]},
        "provider_access_token",
        {"from_corpid": "up", "to_corpid": "down", "share_list": [{"active_code": "A"}]},
        lambda r: r[0].key == "A" and r[0].errcode == 701055,
    ),
    (
        lambda c: provider(c).license.create_new_order_job(
            items=[BuyItem(corpid="wc", base_count=5, months=1, auto_active=False)]
        ),
        "POST",
        "license/create_new_order_job",
        {"jobid": "J", "invalid_list": [{"corpid": "wz", "errcode": 701124, "errmsg": "dup"}]},
        "provider_access_token",
        {
            "buy_list": [
                {
                    "corpid": "wc",
                    "auto_active_status": 0,
                    "account_count": {"base_count": 5, "external_contact_count": 0},
                    "account_duration": {"months": 1, "days": 0},
                }
            ]
        },
        lambda r: r[0] == "J" and r[1][0].errcode == 701124,
    ),
    (
        lambda c: provider(c).license.submit_new_order_job(jobid="J", buyer_userid="b"),
        "POST",
        "license/submit_new_order_job",
        {"errcode": 0},
        "provider_access_token",
        {"jobid": "J", "buyer_userid": "b"},
        lambda r: r is None,
    ),
    (
        lambda c: provider(c).license.new_order_job_result(jobid="J"),
        "POST",
        "license/new_order_job_result",
        {"status": 1, "order_id": "OI8", "fail_list": []},
        "provider_access_token",
        {"jobid": "J"},
        lambda r: (r.status, r.order_id) == (1, "OI8"),
    ),
    (
        lambda c: provider(c).license.get_union_order(order_id="OI8"),
        "POST",
        "license/get_union_order",
        {
            "order": {"order_id": "OI8", "order_type": 8, "order_status": 1, "price": 0},
            "buy_list": [
                {
                    "sub_order_id": "S1",
                    "corpid": "wc",
                    "account_count": {"base_count": 3},
                    "account_duration": {"months": 2},
                }
            ],
            "has_more": 0,
        },
        "provider_access_token",
        {"order_id": "OI8"},
        lambda r: r.order.order_type == 8 and r.sub_orders[0].base_count == 3,
    ),
    (
        lambda c: provider(c).license.submit_pay_job(order_id="OI8", payer_userid="b"),
        "POST",
        "license/submit_pay_job",
        {"jobid": "PJ"},
        "provider_access_token",
        {"order_id": "OI8", "payer_userid": "b"},
        lambda r: r == "PJ",
    ),
    (
        lambda c: provider(c).license.pay_job_result(jobid="PJ"),
        "POST",
        "license/pay_job_result",
        {"errcode": 0, "status": 3, "pay_job_result": {"errcode": 90433, "errmsg": "balance"}},
        "provider_access_token",
        {"jobid": "PJ"},
        lambda r: (r.status, r.errcode) == (3, 90433),
    ),
    (
        lambda c: provider(c).license.get_account_balance(),
        "GET",
        "service/get_account_balance",
        {"errcode": 0, "balance": 12345},
        "provider_access_token",
        None,
        lambda r: r == 12345,
    ),
    (
        lambda c: corp(c).get_admin_list(),
        "POST",
        "agent/get_admin_list",
        {"admin": [{"userid": "woxxxx", "auth_type": 1}]},
        "access_token",
        {},
        lambda r: r[0].userid == "woxxxx",
    ),
    (
        lambda c: corp(c).get_permissions(),
        "POST",
        "agent/get_permissions",
        {"app_permissions": ["contact:base:base"]},
        "access_token",
        None,
        lambda r: r == ("contact:base:base",),
    ),
    (
        lambda c: corp(c).userid_to_openuserid(userid_list=["aaa", "bbb"]),
        "POST",
        "batch/userid_to_openuserid",
        {
            "open_userid_list": [{"userid": "aaa", "open_userid": "oa"}],
            "invalid_userid_list": ["bbb"],
        },
        "access_token",
        {"userid_list": ["aaa", "bbb"]},
        lambda r: r.mapping == {"aaa": "oa"} and r.invalid == ("bbb",),
    ),
    (
        lambda c: corp(c).get_jsapi_ticket(),
        "GET",
        "get_jsapi_ticket",
        {"errcode": 0, "ticket": "jt", "expires_in": 7200},
        "access_token",
        None,
        lambda r: r == Credential("jt", 7200),
    ),
    (
        lambda c: corp(c).get_agent_config_ticket(),
        "GET",
        "ticket/get",
        {"errcode": 0, "ticket": "at", "expires_in": 7200},
        "access_token",
        None,
        lambda r: r.value == "at",
    ),
    (
        lambda c: corp(c).send_text(agentid=1, content="你好", touser=["u1", "u2"]),
        "POST",
        "message/send",
        {"errcode": 0, "invaliduser": "u2", "unlicenseduser": "u3|u4", "msgid": "m"},
        "access_token",
        {"touser": "u1|u2", "msgtype": "text", "agentid": 1, "text": {"content": "你好"}},
        lambda r: r.invalid_users == ("u2",) and r.unlicensed_users == ("u3", "u4"),
    ),
    (
        lambda c: corp(c).user_get(userid="zhangsan"),
        "GET",
        "user/get",
        {
            "errcode": 0,
            "userid": "zhangsan",
            "name": "zhangsan",
            "department": [1, 2],
            "open_userid": "o",
            "status": 1,
            "main_department": 1,
        },
        "access_token",
        None,
        lambda r: r.departments == (1, 2) and r.status == 1,
    ),
    (
        lambda c: corp(c).user_simplelist(department_id=1),
        "GET",
        "user/simplelist",
        {"userlist": [{"userid": "zs", "name": "张三", "department": [1], "open_userid": "o"}]},
        "access_token",
        None,
        lambda r: r[0].name == "张三",
    ),
    (
        lambda c: corp(c).user_list(department_id=1),
        "GET",
        "user/list",
        {"userlist": [{"userid": "zs", "position": "PM"}]},
        "access_token",
        None,
        lambda r: r[0].position == "PM",
    ),
    (
        lambda c: corp(c).department_list(),
        "GET",
        "department/list",
        {
            "department": [
                {
                    "id": 2,
                    "name": "广州研发中心",
                    "parentid": 1,
                    "order": 10,
                    "department_leader": ["zhangsan"],
                }
            ]
        },
        "access_token",
        None,
        lambda r: r[0].parentid == 1 and r[0].department_leaders == ("zhangsan",),
    ),
    (
        lambda c: corp(c).getcallbackip(),
        "GET",
        "getcallbackip",
        {"ip_list": ["1.2.3.4"], "errcode": 0},
        "access_token",
        None,
        lambda r: r == ("1.2.3.4",),
    ),
    (
        lambda c: c.contact_sync("SYNC").set_scope(agentid=1, allow_user=["zs"]),
        "POST",
        "agent/set_scope",
        {"errcode": 0, "invaliduser": ["x"], "invalidparty": [3]},
        "access_token",
        {"agentid": 1, "allow_user": ["zs"], "allow_party": [], "allow_tag": []},
        lambda r: r.invalid_users == ("x",) and r.invalid_parties == (3,),
    ),
    (
        lambda c: c.contact_sync("SYNC").contact_sync_success(),
        "GET",
        "sync/contact_sync_success",
        {"errcode": 0},
        "access_token",
        None,
        lambda r: r is None,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "response", "token_name", "body", "check"),
    ENDPOINTS,
    ids=[f"{e[1]} {e[2]}" for e in ENDPOINTS],
)
def test_each_endpoint_sends_the_right_request_and_parses_the_answer(
    client, http, call, method, path, response, token_name, body, check
):
    reply(http, method, path, response)
    result = call(client)
    query, sent = only_call(http)
    assert http.calls[0].request.method == method
    if token_name:
        assert token_name in query
        others = {"suite_access_token", "provider_access_token", "access_token"} - {token_name}
        assert not others & set(query)
    for key, value in (body or {}).items():
        assert sent[key] == value, key
    assert check(result)


def test_the_token_goes_in_the_query_never_in_the_body(client, http):
    reply(http, "POST", "service/get_corp_token", {"access_token": "ct", "expires_in": 7200})
    suite(client).get_corp_token(auth_corpid="wc", permanent_code="P")
    query, body = only_call(http)
    assert query["suite_access_token"] == SUITE_TOKEN
    assert SUITE_TOKEN not in json.dumps(body)


@pytest.mark.parametrize(
    ("errcode", "error"),
    [
        (-1, SystemBusyError),
        (6000, SystemBusyError),
        (40014, TokenInvalidError),
        (42001, TokenInvalidError),
        (40082, TokenInvalidError),
        (42009, TokenInvalidError),
        (40085, SuiteTicketInvalidError),
        (45009, RateLimitedError),
        (45033, RateLimitedError),
        (40029, InvalidCodeError),
        (40078, InvalidCodeError),
        (42003, InvalidCodeError),
        (84014, InvalidCodeError),
        (48002, NoPrivilegeError),
        (60020, NoPrivilegeError),
        (40084, AuthorizationInvalidError),
        (48004, AuthorizationInvalidError),
        (40058, WeComAPIError),
    ],
)
def test_each_errcode_raises_its_exception(errcode, error, http):
    client = WeComClient(API, max_retries=0)
    reply(http, "GET", "service/get_pre_auth_code", {"errcode": errcode, "errmsg": "nope"})
    with pytest.raises(error) as raised:
        suite(client).get_pre_auth_code()
    assert type(raised.value) is error
    assert raised.value.errcode == errcode
    assert raised.value.path == "service/get_pre_auth_code"


def test_authorization_invalid_is_a_no_privilege_error():
    assert issubclass(AuthorizationInvalidError, NoPrivilegeError)


class TestRetries:
    def test_system_busy_is_retried_with_growing_backoff(self, client, http, delays):
        for _ in range(2):
            reply(http, "GET", "get_jsapi_ticket", {"errcode": -1, "errmsg": "system busy"})
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 0, "ticket": "t", "expires_in": 7200})
        assert corp(client).get_jsapi_ticket().value == "t"
        assert len(http.calls) == 3
        assert len(delays) == 2
        assert delays[1] > delays[0] > 0

    def test_retries_stop_at_the_bound(self, client, http, delays):
        reply(http, "GET", "get_jsapi_ticket", {"errcode": -1, "errmsg": "system busy"})
        with pytest.raises(SystemBusyError):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 4  # the first try and three retries
        assert len(delays) == 3

    @pytest.mark.parametrize("errcode", [45009, 40078, 60020, 40085, 40058])
    def test_non_retryable_codes_are_not_retried(self, client, http, delays, errcode):
        reply(http, "GET", "get_jsapi_ticket", {"errcode": errcode, "errmsg": "x"})
        with pytest.raises(WeComAPIError):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 1
        assert delays == []

    def test_connection_errors_are_retried_then_raised(self, client, http, delays):
        http.add("GET", f"{API}/cgi-bin/get_jsapi_ticket", body=requests.ConnectionError("refused"))
        with pytest.raises(TransportError):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 4

    def test_a_server_error_is_retried_but_a_client_error_is_not(self, client, http, delays):
        reply(http, "GET", "get_jsapi_ticket", {}, status=502)
        reply(http, "GET", "get_jsapi_ticket", {"ticket": "t", "expires_in": 1})
        assert corp(client).get_jsapi_ticket().value == "t"
        http.reset()
        reply(http, "GET", "get_jsapi_ticket", {}, status=404)
        with pytest.raises(TransportError, match="HTTP 404"):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 1

    def test_a_non_json_answer_is_a_transport_error(self, client, http):
        http.add("GET", f"{API}/cgi-bin/get_jsapi_ticket", body="<html>proxy</html>")
        with pytest.raises(TransportError, match="not JSON"):
            corp(client).get_jsapi_ticket()

    def test_a_success_missing_its_field_is_a_transport_error_not_retried(self, client, http):
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 0})
        with pytest.raises(TransportError, match="unexpected response shape"):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 1

    def test_every_request_has_a_timeout(self, http, monkeypatch):
        client = WeComClient(API, timeout=(1.0, 2.0))
        seen = []
        original = client.transport.session.request

        def spy(*args, **kwargs):
            seen.append(kwargs.get("timeout"))
            return original(*args, **kwargs)

        monkeypatch.setattr(client.transport.session, "request", spy)
        reply(http, "GET", "get_jsapi_ticket", {"ticket": "t", "expires_in": 1})
        corp(client).get_jsapi_ticket()
        assert seen == [(1.0, 2.0)]


def never_connected() -> requests.ConnectionError:
    """What requests raises when the TCP connection could not even be made."""
    cause = NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(MaxRetryError(None, "/cgi-bin/x", cause))


SPENDING_CALLS = {
    "get_permanent_code": (
        "POST",
        "service/get_permanent_code",
        lambda c: suite(c).get_permanent_code(auth_code="CODE"),
        PERMANENT_CODE_V1,
    ),
    "getuserinfo3rd": (
        "GET",
        "service/auth/getuserinfo3rd",
        lambda c: suite(c).getuserinfo3rd(code="CODE"),
        {"errcode": 0, "corpid": "ww", "userid": "u", "open_userid": "o"},
    ),
    "get_login_info": (
        "POST",
        "service/get_login_info",
        lambda c: provider(c).get_login_info(auth_code="CODE"),
        {"errcode": 0, "usertype": 1, "user_info": {"userid": "u"}, "corp_info": {"corpid": "w"}},
    ),
}


class TestCallsThatSpendACode:
    """A single-use code may be spent by any try that reached WeCom, so only a try that surely
    never connected is sent again; a second try would only get 40029 back."""

    @pytest.mark.parametrize("call", list(SPENDING_CALLS))
    @pytest.mark.parametrize(
        "failure",
        [
            requests.ReadTimeout("read timed out"),
            requests.exceptions.ChunkedEncodingError("connection broken mid-answer"),
            requests.ConnectionError(ProtocolError("Connection aborted.")),
        ],
        ids=["read timeout", "cut mid-answer", "reset after sending"],
    )
    def test_a_try_that_may_have_reached_wecom_is_not_repeated(self, client, http, call, failure):
        method, path, make, _answer = SPENDING_CALLS[call]
        http.add(method, f"{API}/cgi-bin/{path}", body=failure)
        with pytest.raises(TransportError) as raised:
            make(client)
        assert raised.value.reached
        assert len(http.calls) == 1

    @pytest.mark.parametrize("call", list(SPENDING_CALLS))
    def test_a_try_that_never_connected_is_repeated(self, client, http, delays, call):
        method, path, make, answer = SPENDING_CALLS[call]
        http.add(method, f"{API}/cgi-bin/{path}", body=never_connected())
        http.add(method, f"{API}/cgi-bin/{path}", json=answer)
        make(client)
        assert len(http.calls) == 2 and len(delays) == 1

    def test_system_busy_is_not_repeated_either(self, client, http):
        reply(http, "POST", "service/get_permanent_code", {"errcode": -1, "errmsg": "busy"})
        with pytest.raises(SystemBusyError):
            suite(client).get_permanent_code(auth_code="CODE")
        assert len(http.calls) == 1

    def test_other_calls_still_retry_a_timeout(self, client, http):
        http.add("GET", f"{API}/cgi-bin/get_jsapi_ticket", body=requests.ReadTimeout("slow"))
        with pytest.raises(TransportError):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 4


class RotatingTokens:
    """A token source that hands out a new token after each invalidation."""

    def __init__(self, *tokens):
        self.tokens = list(tokens)
        self.invalidated = []

    def get(self):
        return self.tokens[0]

    def invalidate(self, token):
        self.invalidated.append(token)
        if len(self.tokens) > 1:
            self.tokens.pop(0)


class TestReactiveRefresh:
    def test_a_rejected_token_is_replaced_and_the_call_retried_once(self, client, http):
        tokens = RotatingTokens("stale", "fresh")
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 42001, "errmsg": "expired"})
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 0, "ticket": "t", "expires_in": 7200})
        assert client.corp(tokens).get_jsapi_ticket().value == "t"
        assert tokens.invalidated == ["stale"]
        sent = [parse_qs(urlsplit(c.request.url).query)["access_token"][0] for c in http.calls]
        assert sent == ["stale", "fresh"]

    def test_it_gives_up_after_one_refresh(self, client, http):
        tokens = RotatingTokens("a", "b", "c")
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 40014, "errmsg": "invalid"})
        with pytest.raises(TokenInvalidError):
            client.corp(tokens).get_jsapi_ticket()
        assert len(http.calls) == 2

    def test_a_token_that_cannot_change_is_not_retried(self, client, http):
        reply(http, "GET", "get_jsapi_ticket", {"errcode": 40014, "errmsg": "invalid"})
        with pytest.raises(TokenInvalidError):
            corp(client).get_jsapi_ticket()
        assert len(http.calls) == 1


class TestSecretsStayHidden:
    def test_errmsg_echoing_a_secret_is_redacted(self, client, http, caplog):
        caplog.set_level(logging.DEBUG)
        reply(
            http,
            "POST",
            "service/get_suite_token",
            {"errcode": 40080, "errmsg": f"invalid suite_secret {SECRET}, hint: [x]"},
        )
        with pytest.raises(WeComAPIError) as raised:
            client.tokens.get_suite_token(suite_id="ww1", suite_secret=SECRET, suite_ticket="tk")
        assert SECRET not in str(raised.value)
        assert SECRET not in repr(raised.value)
        assert SECRET not in raised.value.errmsg
        assert SECRET not in caplog.text

    def test_a_connection_error_never_shows_the_url_with_its_token(self, client, http, caplog):
        caplog.set_level(logging.DEBUG)
        http.add(
            "GET",
            f"{API}/cgi-bin/get_jsapi_ticket",
            body=requests.ConnectionError(
                f"Max retries exceeded: /cgi-bin/get_jsapi_ticket?access_token={CORP_TOKEN}"
            ),
        )
        with pytest.raises(TransportError) as raised:
            corp(client).get_jsapi_ticket()
        assert CORP_TOKEN not in str(raised.value)
        assert raised.value.__cause__ is None
        assert raised.value.__suppress_context__
        assert CORP_TOKEN not in caplog.text

    def test_logged_calls_carry_the_path_but_no_token(self, client, http, caplog):
        caplog.set_level(logging.DEBUG, logger="wecom.client")
        reply(http, "GET", "get_jsapi_ticket", {"errcode": -1, "errmsg": "busy"})
        reply(http, "GET", "get_jsapi_ticket", {"ticket": "T-VALUE", "expires_in": 7200})
        corp(client).get_jsapi_ticket()
        paths = [getattr(r, "wecom_path", None) for r in caplog.records]
        assert "get_jsapi_ticket" in paths
        everything = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
        assert CORP_TOKEN not in everything
        assert "T-VALUE" not in everything

    def test_results_hide_their_secrets_in_repr(self):
        assert "pt-value" not in repr(Credential("pt-value", 7200))
        result = PermanentCode.from_json(PERMANENT_CODE_V1)
        assert "PERM" not in repr(result)
        assert "corp-token" not in repr(result)

    def test_clients_and_scopes_hide_their_tokens_in_repr(self, client):
        assert CORP_TOKEN not in repr(corp(client))
        assert CORP_TOKEN not in repr(StaticToken(CORP_TOKEN))


def test_input_bounds_are_checked_before_calling(client, http):
    with pytest.raises(ValueError, match="1000"):
        corp(client).userid_to_openuserid(userid_list=[str(i) for i in range(1001)])
    with pytest.raises(ValueError, match="at least one"):
        corp(client).send_text(agentid=1, content="x")
    with pytest.raises(ValueError, match="1000 ids in external_userid_list"):
        corp(client).get_new_external_userid(external_userid_list=["x"] * 1001, chat_id="wr1")
    with pytest.raises(ValueError, match="output_file_name"):
        provider(client).id_translate(auth_corpid="wp1", media_id_list=["m1", "m2"])
    with pytest.raises(ValueError, match="1 to 20"):
        provider(client).id_translate(auth_corpid="wp1", media_id_list=[])
    assert len(http.calls) == 0


def test_all_scopes_share_one_pooled_session(client):
    assert suite(client)._transport.session is corp(client)._transport.session
    adapter = client.transport.session.get_adapter("https://qyapi.weixin.qq.com")
    assert adapter._pool_maxsize >= 10


@pytest.mark.parametrize(
    ("errcode", "kind", "meaning"),
    [
        (701099, LicenseRequiredError, "the member has no valid licence"),
        (701008, LicenseRequiredError, "the member has no valid interop licence"),
        (701169, LicenseOrderError, "only unpaid orders can be cancelled"),
        (701082, LicenseAccountError, "the member's current code has more than 20 days left"),
        (701999, LicenseAccountError, "whatever WeCom said"),
    ],
)
def test_licence_refusals_are_typed_with_wecom_meaning(client, http, errcode, kind, meaning):
    """701xxx answers raise a LicenseError subclass naming what WeCom means by the code."""
    reply(
        http,
        "POST",
        "license/active_account",
        {"errcode": errcode, "errmsg": "whatever WeCom said"},
    )
    with pytest.raises(kind) as caught:
        provider(client).license.active_account(active_code="A", corpid="wc", userid="u")
    assert isinstance(caught.value, LicenseError) and caught.value.meaning == meaning
