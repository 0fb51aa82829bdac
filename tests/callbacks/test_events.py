"""Every event type, pushed by the sandbox to the live portal, changes the tenant as stated."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from callbacks.models import CallbackEvent
from callbacks.signals import app_event
from corps.models import Department, Member, RegisterCode
from corps.services import register_code_create
from tokens.authorization import register_contacts_finish
from tokens.models import Credential
from tokens.services import corp_api, provider_api
from wecom import events as ev
from wecom.events import UnknownEvent
from wecom.platform_events import AgreeExternalUseridMigration, SystemBatchJobResult


class TestURLVerification:
    @pytest.mark.parametrize(
        ("path", "receive_id", "cipher"),
        [
            ("suite", "suite", "suite"),
            ("data", "provider", "suite"),
            ("provider", "provider", "provider"),
        ],
    )
    def test_each_url_answers_the_decrypted_echostr(self, portal, path, receive_id, cipher):
        config = portal.wecom.config
        ciphers = {"suite": portal.wecom.suite.cipher(), "provider": config.provider.cipher()}
        ids = {"suite": portal.suite.suite_id, "provider": config.provider.corpid}
        target = portal.suite.suite_id if path != "provider" else config.provider.corpid
        sealed = ciphers[cipher].seal("8862375342823958", ids[receive_id], timestamp="1", nonce="n")
        response = requests.get(
            f"{portal.url}/callbacks/{path}/{target}/",
            params={
                "msg_signature": sealed.signature,
                "timestamp": "1",
                "nonce": "n",
                "echostr": sealed.encrypted,
            },
            timeout=10,
        )
        assert response.status_code == 200
        assert response.content == b"8862375342823958"

    def test_a_wrong_signature_fails_verification(self, portal):
        sealed = portal.wecom.suite.cipher().seal(
            "x", portal.suite.suite_id, timestamp="1", nonce="n"
        )
        response = requests.get(
            f"{portal.url}{portal.command_path}",
            params={
                "msg_signature": "0" * 40,
                "timestamp": "1",
                "nonce": "n",
                "echostr": sealed.encrypted,
            },
            timeout=10,
        )
        assert response.status_code == 403


def test_a_suite_ticket_is_kept_on_the_suite(portal):
    portal.push_ticket()
    latest = portal.wecom.server.app.sandbox.tickets[portal.suite.suite_id][-1][0]
    assert portal.suite.suite_ticket == latest and portal.suite.ticket_is_fresh()


def test_create_auth_makes_the_tenant_with_its_first_token(portal):
    portal.wecom.reset_logs()
    corp = portal.install(0)
    assert corp.is_active and corp.corp_name == "星辰科技"
    assert corp.agentid >= 1000002 and corp.edition_name == "专业版"
    assert corp.admin_userid == "zhangwei" and corp.permanent_code
    assert Credential.objects.filter(corp=corp, kind="corp").exists()
    corp_api(corp).get_permissions()  # uses the token get_permanent_code handed over
    assert portal.wecom.calls("service/get_corp_token") == []
    record = CallbackEvent.objects.get(kind="create_auth")
    assert record.status == "processed" and record.corp == corp and record.attempts == 1


def test_change_auth_rereads_the_authorization(portal):
    corp = portal.install(0)
    portal.wecom.reset_logs()
    portal.act("change_auth", corp)
    assert [c["errcode"] for c in portal.wecom.calls("service/get_auth_info")] == [0]
    assert CallbackEvent.objects.get(kind="change_auth").status == "processed"


def test_cancel_auth_cancels_and_forgets_everything(portal):
    corp = portal.install(0)
    portal.act("cancel_auth", corp)
    corp.refresh_from_db()
    assert corp.status == "cancelled" and corp.cancelled_at and corp.permanent_code == ""
    assert not Credential.objects.filter(corp=corp).exists()


def test_a_reinstall_after_cancel_reactivates_the_same_tenant(portal):
    corp = portal.install(0)
    portal.act("cancel_auth", corp)
    again = portal.install(0)
    assert again.pk == corp.pk and again.is_active and again.reactivated_at


def test_reset_permanent_code_stores_the_new_code(portal):
    corp = portal.install(0)
    old = corp.permanent_code
    portal.act("reset_permanent_code", corp)
    corp.refresh_from_db()
    assert corp.permanent_code != old
    assert corp_api(corp).get_permissions()  # a token from the new code works


@pytest.mark.parametrize(
    ("change_type", "data", "check"),
    [
        (
            "create_user",
            {"userid": "sunli", "name": "孙丽", "department": [2], "position": "测试"},
            lambda corp: Member.objects.get(corp=corp, userid="sunli").name == "孙丽",
        ),
        (
            "update_user",
            {"userid": "lina", "position": "总监", "new_userid": "lina2"},
            lambda corp: Member.objects.get(corp=corp, userid="lina2").position == "总监",
        ),
        (
            "create_party",
            {"name": "销售部", "parentid": 1},
            lambda corp: Department.objects.get(corp=corp, department_id=4).name == "销售部",
        ),
    ],
)
def test_contact_changes_update_the_mirror(portal, change_type, data, check):
    corp = portal.install(0)
    portal.act("change_contact", corp, change_type=change_type, data=data)
    assert check(corp)


def test_deleting_a_user_and_a_party_removes_them(portal):
    corp = portal.install(0)
    portal.act(
        "change_contact", corp, change_type="create_user", data={"userid": "sunli", "name": "孙丽"}
    )
    portal.act("change_contact", corp, change_type="update_party", data={"id": 3, "name": "品牌部"})
    assert Department.objects.get(corp=corp, department_id=3).name == "品牌部"
    portal.act("change_contact", corp, change_type="delete_user", data={"userid": "sunli"})
    assert not Member.objects.filter(corp=corp, userid="sunli").exists()
    portal.act(
        "change_contact", corp, change_type="create_party", data={"name": "临时", "parentid": 1}
    )
    portal.act("change_contact", corp, change_type="delete_party", data={"id": 4})
    assert not Department.objects.filter(corp=corp, department_id=4).exists()


def test_update_tag_reaches_the_extension_point(portal, heard):
    corp = portal.install(0)
    portal.act(
        "change_contact",
        corp,
        change_type="update_tag",
        data={"tag_id": 3, "add_user_items": ["lina"]},
    )
    event, seen_corp = heard[-1]
    assert isinstance(event, ev.TagUpdated) and event.add_user_items == ("lina",)
    assert seen_corp == corp


def test_change_app_admin_refreshes_the_admins(portal):
    corp = portal.install(0)
    portal.act("change_app_admin", corp, admin_userid="lina")
    admins = list(
        Member.objects.filter(corp=corp, is_admin=True).values_list("open_userid", flat=True)
    )
    assert admins == [
        portal.wecom.server.app.sandbox.open_userid(portal.suite.suite_id, corp.corpid, "lina")
    ]


@pytest.mark.parametrize("event_name", ["enter_agent", "subscribe", "unsubscribe", "text"])
def test_app_events_reach_the_extension_point(portal, heard, event_name):
    corp = portal.install(0)
    portal.act("app_event", corp, event=event_name, userid="lina", content="在吗")
    event, seen_corp = heard[-1]
    assert event.kind == event_name and event.from_user == "lina" and seen_corp == corp
    record = CallbackEvent.objects.get(kind=event_name)
    assert record.receiver == "data" and record.status == "processed"


def test_register_corp_links_the_register_code_to_the_new_corp(portal):
    code = provider_api(portal.provider).get_register_code(template_id="tpldemo001", state="promo")
    registration = register_code_create(
        provider=portal.provider,
        template_id="tpldemo001",
        code=code.value,
        expires_in=600,
        state="promo",
    )
    result = portal.wecom.action(
        "register_corp", register_code=code.value, corp_name="新公司", admin_name="钱七"
    )
    assert result["register_corp"]["ok"] and result["create_auth"]["ok"]
    registration.refresh_from_db()
    assert registration.status == RegisterCode.Status.REGISTERED
    assert registration.registered_corpid == result["corpid"]
    assert registration.corp is not None and registration.corp.corp_name == "新公司"


def test_register_corp_migrates_contacts_in_wecoms_order_within_the_tokens_life(portal):
    """register_corp brings a contact-sync token; once the app is installed the portal sets its
    visible scope with it and then calls contact_sync_success, which unlocks the corp's contacts
    and ends the token."""
    code = provider_api(portal.provider).get_register_code(template_id="tpldemo001")
    registration = register_code_create(
        provider=portal.provider, template_id="tpldemo001", code=code.value, expires_in=600
    )
    result = portal.wecom.action(
        "register_corp", register_code=code.value, corp_name="新公司", admin_name="钱七"
    )
    assert result["register_corp"]["ok"] and result["create_auth"]["ok"]
    calls = [c["endpoint"] for c in portal.wecom.calls()]
    migration = [c for c in calls if c in ("agent/set_scope", "sync/contact_sync_success")]
    assert migration == ["agent/set_scope", "sync/contact_sync_success"]
    assert calls.index("agent/set_scope") > calls.index("service/get_permanent_code")
    registration.refresh_from_db()
    assert registration.contacts_synced_at is not None and registration.contact_sync_token == ""
    [corp] = [c for c in portal.wecom.state()["corps"] if c["corpid"] == result["corpid"]]
    assert corp["contacts_locked"] is False
    assert corp["installs"][0]["scope"] == {"allow_user": [], "allow_party": [1], "allow_tag": []}


def test_an_expired_contact_sync_token_is_not_used(portal):
    code = provider_api(portal.provider).get_register_code(template_id="tpldemo001")
    registration = register_code_create(
        provider=portal.provider, template_id="tpldemo001", code=code.value, expires_in=600
    )
    registration.corp = portal.install(0)  # installed, but the 30 minutes are over
    registration.contact_sync_token = "old-token"
    registration.contact_sync_expires_at = timezone.now() - timedelta(seconds=1)
    registration.save()
    assert register_contacts_finish(registration=registration) is False
    assert not portal.wecom.calls("agent/set_scope")


def test_a_register_code_links_only_within_the_provider_that_issued_it(portal):
    """Another provider of the deployment issued the code (its digest matches): the sandbox
    provider's register_corp and install leave that provider's code and tenants alone."""
    from corps.models import Provider
    from corps.services import register_code_digest

    code = provider_api(portal.provider).get_register_code(template_id="tpldemo001", state="x")
    other = Provider.objects.create(corpid="wwproviderb", secret="s")
    foreign = register_code_create(
        provider=other, template_id="tplb", code=code.value, expires_in=600
    )
    assert foreign.code_digest == register_code_digest(code.value)
    result = portal.wecom.action(
        "register_corp", register_code=code.value, corp_name="新公司", admin_name="钱七"
    )
    assert result["register_corp"]["ok"] and result["create_auth"]["ok"]
    foreign.refresh_from_db()
    assert foreign.status == RegisterCode.Status.PENDING and foreign.corp is None


@pytest.mark.parametrize(
    ("fields", "kind", "parsed"),
    [
        ({"InfoType": "agree_external_userid_migration", "AuthCorpId": "wpx"},
         "agree_external_userid_migration", AgreeExternalUseridMigration),
        ({"InfoType": "batch_job_result", "AuthCorpId": "wpx",
          "BatchJob": {"JobId": "J1", "JobType": "contact_id_translate"}},
         "batch_job_result", SystemBatchJobResult),
        ({"InfoType": "some_future_info_type", "AuthCorpId": "wpx", "Whatever": "42"},
         "some_future_info_type", UnknownEvent),
    ],
)  # fmt: skip
def test_an_authentic_event_without_a_handler_of_ours_reaches_the_isv(portal, fields, kind, parsed):
    """Stored, acknowledged and sent to app_event with its parsed fields; never just ignored."""
    heard = []

    def listen(sender, event, corp, record, **kwargs):
        heard.append(event)

    params, body = portal.seal(
        {"ServiceCorpId": portal.provider.corpid, "TimeStamp": 1, **fields},
        receive_id=portal.provider.corpid,
        cipher=portal.wecom.config.provider.cipher(),
    )
    app_event.connect(listen)
    try:
        response = portal.post(f"/callbacks/provider/{portal.provider.corpid}/", params, body)
    finally:
        app_event.disconnect(listen)
    assert (response.status_code, response.text) == (200, "success")
    record = CallbackEvent.objects.get(kind=kind)
    assert record.status == "processed"
    [event] = heard
    assert type(event) is parsed and event.fields["AuthCorpId"] == "wpx"


def test_an_install_pulls_the_corps_contacts_into_the_mirror(portal):
    corp = portal.install(0)
    names = set(Member.objects.filter(corp=corp).values_list("name", flat=True))
    assert names == {"张伟", "王芳", "李娜", "刘洋"}
    departments = dict(Department.objects.filter(corp=corp).values_list("department_id", "name"))
    assert departments == {1: "星辰科技", 2: "研发部", 3: "市场部"}
    lina = Member.objects.get(corp=corp, userid="lina")
    assert lina.departments == [2] and lina.position == "产品经理" and lina.gender == 2


def test_a_resync_replaces_the_mirror(portal):
    from tokens.authorization import corp_contacts_sync

    corp = portal.install(0)
    Member.objects.create(corp=corp, open_userid="wo-gone", name="离职")
    portal.wecom.action(  # a change WeCom never told us about
        "change_contact", suite_id=portal.suite.suite_id, corpid=corp.corpid,
        change_type="delete_user", data={"userid": "liuyang"},
    )  # fmt: skip
    Member.objects.create(corp=corp, open_userid="wo-liuyang-again", name="刘洋")
    assert corp_contacts_sync(corp=corp) == (3, 3)
    assert set(Member.objects.filter(corp=corp).values_list("name", flat=True)) == {
        "张伟",
        "王芳",
        "李娜",
    }
