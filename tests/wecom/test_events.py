from __future__ import annotations

import dataclasses

import pytest

from wecom import events as ev
from wecom.license_events import AutoActivate, LicensePaySuccess, LicenseRefund, UnlicensedNotify
from wecom.platform_events import (
    AppBatchJobResult,
    CorpArchAuth,
    ShareChange,
    SpecialAuth,
    SuiteBatchJobResult,
)
from wecom.xml import MalformedXML

SUITE = "ww4asffe99e54c0fxxxx"
CORP = "wxf8b4f85f3a794e77"


@pytest.mark.parametrize(
    ("fixture", "cls", "expected"),
    [
        (
            "suite_ticket__push",
            ev.SuiteTicket,
            {"suite_id": SUITE, "timestamp": 1403610513, "suite_ticket": "asdfasfdasdfasdf"},
        ),
        ("create_auth__market", ev.CreateAuth, {"auth_code": "AUTHCODE", "state": "123"}),
        ("change_auth__scope", ev.ChangeAuth, {"auth_corpid": CORP, "state": "abc"}),
        ("cancel_auth__uninstall", ev.CancelAuth, {"auth_corpid": CORP}),
        (
            "reset_permanent_code__daikaifa",
            ev.ResetPermanentCode,
            {"suite_id": "dk4asffe99e54c0fxxxx", "auth_code": "RESETCODE"},
        ),
        (
            "change_contact__create_user",
            ev.UserCreated,
            {
                "auth_corpid": CORP,
                "change_type": "create_user",
                "userid": "zhangsan",
                "open_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA",
                "name": "张三",
                "departments": (1, 2, 3),
                "main_department": 1,
                "is_leader_in_dept": (1, 0, 0),
                "direct_leaders": ("lisi", "wangwu"),
                "gender": 1,
                "status": 1,
                "position": "产品经理",
                "biz_mail": "zhangsan@qyycs2.wecom.work",
            },
        ),
        (
            "change_contact__update_user",
            ev.UserUpdated,
            {"new_userid": "zhangsan001", "position": "总监", "status": 5, "name": None},
        ),
        ("change_contact__delete_user", ev.UserDeleted, {"userid": "zhangsan"}),
        (
            "change_contact__create_party",
            ev.PartyCreated,
            {"id": 2, "name": "研发部", "parent_id": 1, "order": 1},
        ),
        ("change_contact__update_party", ev.PartyUpdated, {"id": 2, "parent_id": 3, "name": None}),
        ("change_contact__delete_party", ev.PartyDeleted, {"id": 2}),
        (
            "change_contact__update_tag",
            ev.TagUpdated,
            {
                "tag_id": 1,
                "add_user_items": ("zhangsan", "lisi"),
                "del_user_items": ("zhangsan1", "lisi1"),
                "add_party_items": (1, 2),
                "del_party_items": (3, 4),
            },
        ),
        (
            "change_contact__daikaifa_data_callback",
            ev.PartyDeleted,
            {"auth_corpid": "wwddddccc7775555aaa", "suite_id": "", "id": 2},
        ),
        (
            "register_corp__with_contact_sync",
            ev.RegisterCorp,
            {
                "service_corpid": "wwddddccc7775555aaa",
                "register_code": "pIKi3wRPNWCGF-pyP-YU5KWjDDD",
                "auth_corpid": "wwddddccc7775555aaa",
                "auth_userid": "zhangshan",
                "state": "state001",
                "template_id": "tpl1test",
            },
        ),
        (
            "enter_register_package__member",
            ev.EnterRegisterPackage,
            {"auth_corpid": "wwcorp111", "auth_userid": "lisi", "register_code": "REG111"},
        ),
        (
            "change_app_admin__data_callback",
            ev.ChangeAppAdmin,
            {"corpid": "wwddddccc7775555aaa", "from_user": "sys", "agent_id": 1},
        ),
        (
            "enter_agent__workbench",
            ev.EnterAgent,
            {"from_user": "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA", "create_time": 1408091189},
        ),
        ("subscribe__visible_range", ev.Subscribe, {"from_user": "lisi", "agent_id": 1}),
        ("unsubscribe__left", ev.Unsubscribe, {"from_user": "lisi"}),
        (
            "text__official_vector_a",
            ev.TextMessage,
            {
                "corpid": "wx5823bf96d3bd56c7",
                "content": "hello",
                "msg_id": "4561255354251345929",
                "agent_id": 218,
            },
        ),
    ],
)
def test_it_parses_each_event_type(event_xml, fixture, cls, expected):
    event = ev.parse_event(event_xml(fixture))
    assert type(event) is cls
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def test_the_kind_is_the_dispatch_key(event_xml):
    assert ev.parse_event(event_xml("create_auth__market")).kind == "create_auth"
    assert ev.parse_event(event_xml("change_contact__update_tag")).kind == "change_contact"
    assert ev.parse_event(event_xml("enter_agent__workbench")).kind == "enter_agent"
    assert ev.parse_event(event_xml("text__official_vector_a")).kind == "text"


def test_register_corp_carries_the_contact_sync_token(event_xml):
    event = ev.parse_event(event_xml("register_corp__with_contact_sync"))
    assert isinstance(event, ev.RegisterCorp)
    assert event.contact_sync is not None
    assert event.contact_sync.expires_in == 1800
    assert event.contact_sync.access_token.startswith("kp4CF4")
    assert "kp4CF4" not in repr(event)


def test_user_extattr_keeps_text_and_web_items(event_xml):
    event = ev.parse_event(event_xml("change_contact__create_user"))
    assert isinstance(event, ev.UserCreated)
    assert event.extattr == (
        ev.ExtAttr(name="爱好", type=0, text="旅游"),
        ev.ExtAttr(name="卡号", type=1, web_title="企业微信", web_url="https://work.weixin.qq.com"),
    )


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [("location__unknown", "LOCATION")],
)
def test_an_unknown_type_keeps_every_field(event_xml, fixture, kind):
    event = ev.parse_event(event_xml(fixture))
    assert type(event) is ev.UnknownEvent
    assert event.kind == kind
    if kind == "LOCATION":
        assert event.fields["Latitude"] == "23.104105"
    else:
        assert event.fields["OrderId"] == "OI0000001"
        assert event.fields["BuyerUserId"] == "zhangsan"


def test_an_unknown_change_type_is_kept_too():
    xml = (
        "<xml><SuiteId>ww1</SuiteId><AuthCorpId>wx1</AuthCorpId><InfoType>change_contact</InfoType>"
        "<TimeStamp>1</TimeStamp><ChangeType>merge_users</ChangeType><Foo>bar</Foo></xml>"
    )
    event = ev.parse_event(xml)
    assert type(event) is ev.UnknownEvent
    assert event.fields["Foo"] == "bar"


def test_events_are_immutable(event_xml):
    event = ev.parse_event(event_xml("suite_ticket__push"))
    assert isinstance(event, ev.SuiteTicket)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.suite_ticket = "other"  # type: ignore[misc]  # the point: frozen fields refuse
    with pytest.raises(TypeError):
        event.fields["SuiteTicket"] = "other"  # type: ignore[index]  # the point: read-only


def test_secrets_stay_out_of_repr(event_xml):
    assert "asdfasfdasdfasdf" not in repr(ev.parse_event(event_xml("suite_ticket__push")))
    assert "AUTHCODE" not in repr(ev.parse_event(event_xml("create_auth__market")))


class TestBadInput:
    @pytest.mark.parametrize(
        "document",
        ["", "<xml>", "<xml><a></xml>", "not xml at all", "<xml><a>&undefined;</a></xml>"],
    )
    def test_malformed_xml_is_a_parse_error(self, document):
        with pytest.raises(MalformedXML, match="not well-formed"):
            ev.parse_event(document)

    def test_an_external_entity_is_refused_at_the_dtd(self):
        xxe = (
            '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<xml><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
        )
        with pytest.raises(MalformedXML, match="DTDForbidden"):
            ev.parse_event(xxe)

    def test_a_billion_laughs_is_refused_before_any_expansion(self):
        entities = ['<!ENTITY lol0 "lol">'] + [
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
        ]
        bomb = f"<!DOCTYPE xml [{''.join(entities)}]><xml><Content>&lol9;</Content></xml>"
        with pytest.raises(MalformedXML, match="DTDForbidden"):
            ev.parse_event(bomb)

    def test_a_dtd_without_entities_is_refused_too(self):
        with pytest.raises(MalformedXML, match="DTDForbidden"):
            ev.parse_event("<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>")

    @pytest.mark.parametrize(
        ("document", "reason"),
        [
            ("<xml><InfoType>suite_ticket</InfoType><TimeStamp>1</TimeStamp></xml>", "SuiteId"),
            (
                "<xml><SuiteId>ww</SuiteId><InfoType>suite_ticket</InfoType>"
                "<TimeStamp>soon</TimeStamp><SuiteTicket>t</SuiteTicket></xml>",
                "TimeStamp must be an integer",
            ),
            (
                "<xml><SuiteId>ww</SuiteId><AuthCorpId>wx</AuthCorpId><InfoType>change_contact"
                "</InfoType><TimeStamp>1</TimeStamp><ChangeType>create_user</ChangeType>"
                "<UserID>u</UserID><Department>1,x</Department></xml>",
                "Department",
            ),
            ("<xml><Foo>bar</Foo></xml>", "neither InfoType nor MsgType"),
            ("<xml><MsgType>text</MsgType><ToUserName>wx</ToUserName></xml>", "CreateTime"),
            (
                "<xml><SuiteId><x>1</x></SuiteId><InfoType>cancel_auth</InfoType></xml>",
                "SuiteId must be text",
            ),
        ],
    )
    def test_fields_that_do_not_make_the_event_are_invalid(self, document, reason):
        with pytest.raises(ev.InvalidEvent, match=reason):
            ev.parse_event(document)

    def test_invalid_event_is_a_parse_error(self):
        assert issubclass(ev.InvalidEvent, MalformedXML)


def test_licence_payment_and_refund_name_the_corp_and_order(event_xml):
    paid = ev.parse_event(event_xml("license_pay_success__system"))
    assert isinstance(paid, LicensePaySuccess)
    assert (paid.auth_corpid, paid.order_id, paid.buyer_userid) == (
        "wwcorp111",
        "OI0000001",
        "zhangsan",
    )
    refund = ev.parse_event(event_xml("license_refund__refunded"))
    assert isinstance(refund, LicenseRefund) and refund.refunded and refund.order_id == "OI0000002"


def test_auto_activate_reads_every_repeated_account(event_xml):
    event = ev.parse_event(event_xml("auto_activate__two_accounts"))
    assert isinstance(event, AutoActivate) and event.scene == 1
    assert [
        (a.active_code, a.type, a.previous_status, a.previous_active_code) for a in event.accounts
    ] == [
        ("code1", 1, 2, "code0"),
        ("code2", 2, 1, ""),
    ]


def test_unlicensed_notify_names_the_member(event_xml):
    event = ev.parse_event(event_xml("unlicensed_notify__data_callback"))
    assert isinstance(event, UnlicensedNotify)
    assert (event.corpid, event.from_user, event.agent_id) == ("wwcorp111", "zhangsan", 1000002)


def test_platform_events_are_typed_on_each_url(event_xml):
    share = ev.parse_event(event_xml("share_agent_change__command"))
    assert isinstance(share, ShareChange)
    assert (share.corpid, share.agent_id, share.app_id) == ("wwparentcorp", 1000012, "1")
    export = ev.parse_event(event_xml("batch_job_result__export"))
    assert isinstance(export, SuiteBatchJobResult)
    assert (export.batch_job.job_type, export.batch_job.errcode) == ("export_user", 0)
    imported = ev.parse_event(event_xml("batch_job_result__import_data"))
    assert isinstance(imported, AppBatchJobResult) and imported.batch_job.job_type == "sync_user"
    special = ev.parse_event(event_xml("approve_special_auth__command"))
    assert isinstance(special, SpecialAuth) and special.approved
    assert special.auth_type == "customer_acquisition"
    arch = ev.parse_event(event_xml("corp_arch_auth__command"))
    assert isinstance(arch, CorpArchAuth) and arch.auth_corpid == "wwcorp111"
