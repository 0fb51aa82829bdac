"""The WeCom relay over HTTP against the sandbox: the corp's token injected and refreshed once
when WeCom rejects it, WeCom's answer passed back unchanged, and every refusal made before
anything is sent upstream."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

import tokens.relay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def relay(service_api, corp):
    call = service_api("crm", relay_paths=["user/*", "message/send"])
    return lambda path, method="GET", **kwargs: call(
        f"corps/{corp.corpid}/wecom/{path}", method, **kwargs
    )


def test_a_call_works_and_goes_on_working_after_wecom_revokes_the_token(portal, corp, relay):
    first = relay("user/get?userid=lina")
    assert first.status_code == 200 and first.json()["name"] == "李娜"
    portal.wecom.action("revoke_tokens", corpid=corp.corpid)
    portal.wecom.reset_logs()
    again = relay("user/get?userid=lina")
    assert again.status_code == 200 and again.json()["name"] == "李娜"
    endpoints = [c["endpoint"] for c in portal.wecom.calls()]
    assert endpoints == ["user/get", "service/get_corp_token", "user/get"]  # refreshed once


def test_a_post_body_and_wecoms_refusal_pass_through_unchanged(portal, corp, relay):
    body = {
        "touser": "ghost",
        "msgtype": "text",
        "agentid": corp.agentid,
        "text": {"content": "hi"},
    }
    answer = relay("message/send", "POST", json=body)
    assert answer.status_code == 200
    assert answer.json()["errcode"] == 81013  # WeCom's own answer: no valid recipient
    assert "hint" in answer.json()["errmsg"]


@pytest.mark.parametrize(
    ("path", "code"),
    [("department/list", "path_not_allowed"), ("service/get_corp_token", "path_not_allowed"),
     ("gettoken", "path_not_allowed"), ("user/get.json", "invalid_path")],
)  # fmt: skip
def test_paths_outside_the_allow_list_are_refused_unsent(portal, relay, path, code):
    portal.wecom.reset_logs()
    answer = relay(path)
    assert answer.json()["code"] == code and answer.status_code in (400, 403)
    assert portal.wecom.calls() == []


def test_even_a_wildcard_does_not_reach_suite_or_token_endpoints(portal, corp, service_api):
    anything = service_api("all", relay_paths=["*"])
    portal.wecom.reset_logs()
    answer = anything(f"corps/{corp.corpid}/wecom/service/get_corp_token")
    assert (answer.status_code, answer.json()["code"]) == (403, "path_not_allowed")
    assert portal.wecom.calls() == []


def test_an_oversized_body_is_refused_with_413_unsent(portal, relay):
    portal.wecom.reset_logs()
    answer = relay("message/send", "POST", data=b'{"x": "' + b"a" * (1024 * 1024) + b'"}')
    assert (answer.status_code, answer.json()["code"]) == (413, "body_too_large")
    assert portal.wecom.calls() == []


def test_a_body_that_is_not_json_is_refused(portal, relay):
    answer = relay("message/send", "POST", data=b"not json")
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")


def test_wecoms_per_corp_rate_limit_is_kept_here(portal, relay, settings, monkeypatch):
    """The budget counts per clock minute: the relay's clock is held at one instant so that the
    three calls cannot straddle two minutes (they did once, at hh:mm:59)."""
    settings.RELAY_PER_CORP_API_PER_MINUTE = 2
    instant = time.time()
    monkeypatch.setattr(tokens.relay, "time", SimpleNamespace(time=lambda: instant))
    portal.wecom.reset_logs()
    answers = [relay("user/get?userid=lina").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert len(portal.wecom.calls("user/get")) == 2


def test_after_wecom_answers_45009_the_api_rests_for_the_minute(portal, relay):
    portal.wecom.action("fault", endpoint="user/list", count=1, errcode=45009)
    first = relay("user/list?department_id=1")
    assert first.status_code == 200 and first.json()["errcode"] == 45009  # WeCom's answer
    portal.wecom.reset_logs()
    second = relay("user/list?department_id=1")
    assert (second.status_code, second.json()["code"]) == (429, "rate_limited")
    assert portal.wecom.calls() == []
    assert relay("user/get?userid=lina").status_code == 200  # another API is not held back
