"""What the sandbox pushes: signed and encrypted for the right receiveid, retried like WeCom."""

from __future__ import annotations

import time

import pytest

from sandbox.server import SandboxServer
from sandbox.testing import config_for_tests
from wecom import events as ev


def test_a_suite_ticket_goes_to_the_command_url_for_the_suite_id(wecom, receiver):
    result = wecom.push_ticket()
    push = result["pushes"][wecom.suite.suite_id]
    assert push == {"ok": True, "attempts": 1, "status": 200, "reply": "success"}
    received = receiver.received[-1]
    assert received.path == f"/callbacks/suite/{wecom.suite.suite_id}/"
    assert received.receive_id == wecom.suite.suite_id
    assert received.to_user_name == wecom.suite.suite_id
    assert isinstance(received.event, ev.SuiteTicket)


def test_a_reply_other_than_success_is_retried(wecom, receiver):
    receiver.replies.extend(["error", "fail"])
    push = wecom.push_ticket()["pushes"][wecom.suite.suite_id]
    assert push["ok"] and push["attempts"] == 3
    assert receiver.attempts == 3
    assert len(receiver.events("suite_ticket")) == 1


def test_it_gives_up_after_three_attempts(wecom, receiver):
    receiver.replies.extend(["nope"] * 5)
    push = wecom.push_ticket()["pushes"][wecom.suite.suite_id]
    assert push == {"ok": False, "attempts": 3, "status": 200, "reply": "nope"}
    assert wecom.pushes("suite_ticket")[-1]["ok"] is False


def test_an_unreachable_portal_is_retried_then_logged(make_sandbox):
    wecom = make_sandbox(portal="http://127.0.0.1:9")
    push = wecom.push_ticket()["pushes"][wecom.suite.suite_id]
    assert push["ok"] is False and push["attempts"] == 3 and push["status"] is None


def test_the_ticket_loop_pushes_on_its_own(make_sandbox, receiver):
    from sandbox.server import SandboxServer
    from sandbox.testing import config_for_tests

    server = SandboxServer(config_for_tests(receiver.url, ticket_interval=0.05)).start()
    try:
        deadline = time.monotonic() + 5
        while len(receiver.events("suite_ticket")) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        server.stop()
    tickets = [e.suite_ticket for e in receiver.events("suite_ticket")]
    assert len(tickets) >= 2 and len(set(tickets)) == len(tickets)


@pytest.fixture
def installed(wecom, receiver):
    corpid = wecom.corps[0]
    wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=corpid, state="s1")
    return corpid


def test_create_auth_carries_the_auth_code_and_state(wecom, receiver, installed):
    event = receiver.last("create_auth")
    assert isinstance(event, ev.CreateAuth)
    assert event.state == "s1" and event.auth_code
    assert event.suite_id == wecom.suite.suite_id


@pytest.mark.parametrize(
    ("action", "cls"),
    [
        ("change_auth", ev.ChangeAuth),
        ("cancel_auth", ev.CancelAuth),
        ("reset_permanent_code", ev.ResetPermanentCode),
    ],
)
def test_authorization_events(wecom, receiver, installed, action, cls):
    wecom.action(action, suite_id=wecom.suite.suite_id, corpid=installed)
    event = receiver.events()[-1]
    assert type(event) is cls
    if cls is not ev.ResetPermanentCode:
        assert event.auth_corpid == installed


@pytest.mark.parametrize(
    ("change_type", "data", "cls", "expected"),
    [
        (
            "create_user",
            {"userid": "sunli", "name": "孙丽", "department": [2], "position": "测试"},
            ev.UserCreated,
            {"userid": "sunli", "name": "孙丽", "departments": (2,), "position": "测试"},
        ),
        (
            "update_user",
            {"userid": "lina", "position": "总监", "new_userid": "lina2"},
            ev.UserUpdated,
            {"userid": "lina", "position": "总监", "new_userid": "lina2", "name": None},
        ),
        ("delete_user", {"userid": "liuyang"}, ev.UserDeleted, {"userid": "liuyang"}),
        (
            "create_party",
            {"name": "销售部", "parentid": 1},
            ev.PartyCreated,
            {"id": 4, "name": "销售部", "parent_id": 1},
        ),
        ("update_party", {"id": 3, "name": "品牌部"}, ev.PartyUpdated, {"id": 3, "name": "品牌部"}),
        (
            "update_tag",
            {"tag_id": 7, "add_user_items": ["lina"], "del_party_items": [2]},
            ev.TagUpdated,
            {"tag_id": 7, "add_user_items": ("lina",), "del_party_items": (2,)},
        ),
    ],
)
def test_contact_changes(wecom, receiver, installed, change_type, data, cls, expected):
    wecom.action(
        "change_contact",
        suite_id=wecom.suite.suite_id,
        corpid=installed,
        change_type=change_type,
        data=data,
    )
    event = receiver.last("change_contact")
    assert type(event) is cls
    assert event.auth_corpid == installed and event.change_type == change_type
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def test_a_contact_change_updates_what_the_api_answers(wecom, receiver, installed):
    wecom.action(
        "change_contact",
        suite_id=wecom.suite.suite_id,
        corpid=installed,
        change_type="create_user",
        data={"userid": "sunli", "name": "孙丽", "department": [2]},
    )
    corp = next(c for c in wecom.state()["corps"] if c["corpid"] == installed)
    assert "sunli" in [m["userid"] for m in corp["members"]]


def test_change_app_admin_goes_to_the_data_url_for_the_corp(wecom, receiver, installed):
    wecom.action(
        "change_app_admin", suite_id=wecom.suite.suite_id, corpid=installed, admin_userid="lina"
    )
    received = receiver.received[-1]
    assert received.path == f"/callbacks/data/{wecom.suite.suite_id}/"
    assert received.receive_id == installed and received.to_user_name == installed
    assert isinstance(received.event, ev.ChangeAppAdmin)
    assert received.event.from_user == "sys"


@pytest.mark.parametrize(
    ("event", "cls"),
    [
        ("enter_agent", ev.EnterAgent),
        ("subscribe", ev.Subscribe),
        ("unsubscribe", ev.Unsubscribe),
        ("text", ev.TextMessage),
    ],
)
def test_app_events_go_to_the_data_url(wecom, receiver, installed, event, cls):
    wecom.action(
        "app_event",
        suite_id=wecom.suite.suite_id,
        corpid=installed,
        event=event,
        userid="lina",
        content="在吗",
    )
    received = receiver.received[-1]
    assert received.receive_id == installed
    assert type(received.event) is cls
    assert received.event.from_user == "lina"
    assert received.event.agent_id == int(received.agent_id)
    if cls is ev.TextMessage:
        assert received.event.content == "在吗" and int(received.event.msg_id) > 0


def test_register_corp_goes_to_the_provider_url_then_the_app_installs(wecom, receiver):
    code = wecom.action("register_code", template_id="tpldemo001", state="promo")["register_code"]
    result = wecom.action(
        "register_corp", register_code=code, corp_name="新公司", admin_name="钱七"
    )
    system = next(r for r in receiver.received if r.path.startswith("/callbacks/provider/"))
    assert system.path == f"/callbacks/provider/{wecom.config.provider.corpid}/"
    assert system.receive_id == wecom.config.provider.corpid
    assert isinstance(system.event, ev.RegisterCorp)
    assert system.event.auth_corpid == result["corpid"]
    assert system.event.state == "promo" and system.event.template_id == "tpldemo001"
    assert receiver.last("create_auth").state == "promo"


def test_a_message_burst_reaches_every_installed_corp_with_its_redeliveries(
    wecom, receiver, installed
):
    burst = wecom.action(
        "message_burst", suite_id=wecom.suite.suite_id, count=10, redeliver_every=5, threads=3
    )
    assert burst == {"corps": 1, "messages": 10, "deliveries": 12, "delivered": 12}
    texts = receiver.events("text")
    assert len(texts) == 12 and len({t.msg_id for t in texts}) == 10
    assert {received.receive_id for received in receiver.received[-12:]} == {installed}


def test_a_contact_storm_creates_one_member_per_event_with_the_ack_times(
    wecom, receiver, installed
):
    storm = wecom.action("contact_storm", suite_id=wecom.suite.suite_id, count=6, threads=3)
    acks = (storm.pop("ack_p50_ms"), storm.pop("ack_p99_ms"), storm.pop("ack_max_ms"))
    assert 0 < acks[0] <= acks[1] <= acks[2] and storm.pop("seconds") > 0
    assert storm == {"corps": 1, "events": 6, "delivered": 6}
    created = receiver.events("change_contact")
    assert sorted(e.userid for e in created) == [f"storm{n:06d}" for n in range(6)]
    assert {e.change_type for e in created} == {"create_user"}
    assert {e.auth_corpid for e in created} == {installed}
    assert len(wecom.pushes("change_contact/create_user")) == 6


def test_a_burst_needs_an_installed_corp(wecom):
    from sandbox.testing import ControlError

    with pytest.raises(ControlError, match="not installed in any corp"):
        wecom.action("message_burst", suite_id=wecom.suite.suite_id, count=1)


@pytest.mark.parametrize(
    ("action", "data", "reason"),
    [
        ("change_auth", {"corpid": "wpnotacorp"}, "not installed"),
        ("create_auth", {"corpid": "wpnotacorp"}, "unknown corp"),
        ("app_event", {"event": "dance", "userid": "lina"}, "unknown app event"),
        ("change_contact", {"change_type": "merge_users"}, "unknown ChangeType"),
        ("change_contact", {"change_type": "delete_user", "data": {"userid": "zhangwei"}}, "admin"),
        ("fault", {"endpoint": "user/get"}, "errcode, http_status, drop"),
        (
            "register_corp",
            {"register_code": "nope", "corp_name": "x", "admin_name": "y"},
            "invalid",
        ),
        ("message_burst", {"count": 0}, "count must be"),
        ("message_burst", {"count": "many"}, "count must be an integer"),
        ("message_burst", {"count": 5, "threads": 500}, "threads must be between"),
        ("contact_storm", {"count": 100_001}, "count must be"),
        ("message_burst", {"count": 5, "suite_id": "wwnosuch"}, "unknown suite"),
    ],
)
def test_impossible_actions_are_refused_with_a_reason(wecom, installed, action, data, reason):
    from sandbox.testing import ControlError

    args = {"suite_id": wecom.suite.suite_id, "corpid": installed, **data}
    with pytest.raises(ControlError, match=reason) as raised:
        wecom.action(action, **args)
    assert "400" in str(raised.value)


def test_stopping_the_sandbox_waits_for_a_push_still_on_its_way(receiver):
    """A push that races what caused it (create_auth, sent while the browser follows the
    install page's redirect) has been answered by the time stop() returns, so a test does not
    flush its database while the portal is still handling it."""
    receiver.delay = 0.5
    server = SandboxServer(config_for_tests(receiver.url), push_tickets=False).start()
    suite_id = server.app.sandbox.config.suites[0].suite_id
    server.app.pusher.in_background(server.app.pusher.push_suite_ticket, suite_id)
    server.stop()
    assert len(receiver.events("suite_ticket")) == 1
