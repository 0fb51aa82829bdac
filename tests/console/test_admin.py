"""Every console page and action, as staff; nobody else gets in; no secret ever in the HTML."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Department, Member, Provider, RegisterCode, Suite
from oauth.models import ApiToken, AuditRecord
from tests.console.conftest import secrets_of
from tokens.models import Credential

MODELS = [Provider, Suite, AuthorizedCorp, Member, Department, RegisterCode, CallbackEvent,
          Credential, ApiToken, AuditRecord]  # fmt: skip


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def pages(operation):
    """Every console page with this operation's data."""
    from oauth.services import api_token_issue

    api_token_issue(member=Member.objects.filter(corp=operation.first).first())
    AuditRecord.objects.create(kind="provider_login_refused", detail={"userid": "x"})
    registration = RegisterCode.objects.create(
        provider=Provider.objects.get(), template_id="tpldemo001", code="CODE1",
        code_digest="d" * 64, expires_at="2030-01-01T00:00:00Z",
    )  # fmt: skip
    urls = ["/admin/"]
    for model in MODELS:
        urls.append(admin_url(model))
        obj = model._default_manager.first() if model is not RegisterCode else registration
        if obj is not None:
            urls.append(admin_url(model, "change", obj.pk))
    urls += [admin_url(Provider, "add"), admin_url(Suite, "add"), admin_url(RegisterCode, "add")]
    return urls


def test_every_page_renders_for_staff_and_shows_no_secret(operation, admin_client):
    leaked = []
    for url in pages(operation):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        leaked += [(url, s[:12]) for s in secrets_of(operation) if s in html]
    assert leaked == []


def test_the_dashboard_shows_counts_alarms_and_charts(operation, admin_client):
    CallbackEvent.objects.create(receiver="command", kind="x", dedupe_key="failed-one", envelope="",
                                 xml="<xml/>", status="failed")  # fmt: skip
    html = admin_client.get("/admin/").content.decode()
    tile = lambda i: re.search(rf'id="{i}">[^<]*<b>(\d+)</b>', html).group(1)  # noqa: E731
    assert (tile("active-corps"), tile("cancelled-corps"), tile("installs-week")) == ("2", "1", "3")
    assert "1 callback event failed" in html
    assert html.count('title="') >= 60  # 30 bars in each chart


def test_a_stale_ticket_raises_an_alarm_on_the_dashboard(operation, admin_client):
    Suite.objects.update(suite_ticket_at="2020-01-01T00:00:00Z")
    assert "its newest suite_ticket is stale" in admin_client.get("/admin/").content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "plain user"])
def test_nobody_but_staff_gets_in(operation, client, who):
    if who == "member":
        member = Member.objects.filter(corp=operation.first).first()
        from oauth.services import member_user_ensure

        client.force_login(member_user_ensure(member))
    elif who == "plain user":
        client.force_login(get_user_model().objects.create_user("someone", password="x" * 12))
    for url in (
        "/admin/",
        admin_url(AuthorizedCorp),
        admin_url(Suite, "change", Suite.objects.get(kind=Suite.Kind.THIRDPARTY).pk),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def page_queries(admin_client, url):
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(url).status_code == 200
    return len(captured)


def many_rows() -> None:
    """Thirty more rows of every model the console lists, each linked like real ones."""
    suite = Suite.objects.get(kind=Suite.Kind.THIRDPARTY)
    provider = suite.provider
    now = timezone.now()
    n = range(30)
    corps = AuthorizedCorp.objects.bulk_create(
        [AuthorizedCorp(suite=suite, corpid=f"wpbulk{i}", corp_name=f"星辰{i}") for i in n]
    )
    members = Member.objects.bulk_create(
        [Member(corp=c, open_userid=f"wo{i}", name=f"成员{i}") for i, c in enumerate(corps)]
    )
    Department.objects.bulk_create(
        [Department(corp=c, department_id=i + 100, name=f"部门{i}") for i, c in enumerate(corps)]
    )
    CallbackEvent.objects.bulk_create(
        [CallbackEvent(receiver="command", suite=suite, corp=c, corpid=c.corpid, kind="x",
                       dedupe_key=f"bulk{i}", envelope="<xml/>", xml="<xml/>")
         for i, c in enumerate(corps)]
    )  # fmt: skip
    Credential.objects.bulk_create(
        [Credential(key=f"corp:bulk{i}", kind="corp", corp=c) for i, c in enumerate(corps)]
    )
    Suite.objects.bulk_create(
        [Suite(provider=provider, suite_id=f"wwbulk{i}", secret="s", token="t",
               encoding_aes_key="k" * 43) for i in n]
    )  # fmt: skip
    Provider.objects.bulk_create([Provider(corpid=f"wwbulkp{i}", secret="s") for i in n])
    RegisterCode.objects.bulk_create(
        [RegisterCode(provider=provider, template_id="tpl", code=f"rc{i}",
                      code_digest=f"{i:064d}", expires_at=now) for i in n]
    )  # fmt: skip
    ApiToken.objects.bulk_create(
        [ApiToken(digest=f"{i:064d}", member=m, expires_at=now) for i, m in enumerate(members)]
    )
    AuditRecord.objects.bulk_create(
        [AuditRecord(kind=AuditRecord.Kind.PROVIDER_LOGIN_REFUSED, corp=c) for c in corps]
    )


LISTS = [admin_url(model) for model in MODELS] + [
    admin_url(AuthorizedCorp) + query
    for query in ("?status__exact=active", "?q=星辰", "?suite__id__exact=1")
]


def test_list_pages_make_the_same_number_of_queries_with_few_rows_and_many(operation, admin_client):
    few = {url: page_queries(admin_client, url) for url in LISTS}
    many_rows()
    many = {url: page_queries(admin_client, url) for url in LISTS}
    assert many == few


def run_action(admin_client, model, action, objects):
    url = admin_url(model)
    data = {"action": action, "_selected_action": [o.pk for o in objects]}
    confirm = admin_client.post(url, data)
    assert confirm.status_code == 200 and 'id="confirm-question"' in confirm.content.decode()
    done = admin_client.post(url, {**data, "confirmed": "yes"}, follow=True)
    assert done.status_code == 200
    return [str(m) for m in done.context["messages"]]


class TestCorpActions:
    def test_refresh_auth_info(self, operation, admin_client):
        operation.wecom.reset_logs()
        messages = run_action(admin_client, AuthorizedCorp, "refresh_auth_info", [operation.first])
        assert messages == ["Refresh auth info: done for 1 object."]
        assert len(operation.wecom.calls("service/get_auth_info")) == 1

    def test_refresh_tokens_now(self, operation, admin_client):
        before = {c.kind: c.fetched_at for c in Credential.objects.filter(corp=operation.first)}
        run_action(admin_client, AuthorizedCorp, "refresh_tokens", [operation.first])
        after = {c.kind: c.fetched_at for c in Credential.objects.filter(corp=operation.first)}
        assert set(after) == {"corp", "jsapi"} and all(after[k] > before[k] for k in after)

    def test_resync_contacts(self, operation, admin_client):
        Member.objects.filter(corp=operation.second).delete()
        run_action(admin_client, AuthorizedCorp, "resync_contacts", [operation.second])
        assert Member.objects.filter(corp=operation.second).count() == 3

    def test_revoke(self, operation, admin_client):
        run_action(admin_client, AuthorizedCorp, "revoke", [operation.second])
        operation.second.refresh_from_db()
        assert operation.second.status == "cancelled" and not operation.second.permanent_code
        assert not Credential.objects.filter(corp=operation.second).exists()

    def test_a_failing_action_is_reported_per_object(self, operation, admin_client):
        messages = run_action(
            admin_client, AuthorizedCorp, "refresh_auth_info", [operation.first, operation.third]
        )
        assert "done for 1 object" in messages[0]
        assert "failed for" in messages[1] and operation.third.corp_name in messages[1]


def test_the_corp_page_is_read_only_with_its_actions_and_newest_events_first(
    operation, admin_client
):
    for _ in range(2):
        operation.act("app_event", operation.first, event="enter_agent", userid="lina")
    html = admin_client.get(admin_url(AuthorizedCorp, "change", operation.first.pk)).content
    page = html.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    for action in ("refresh_auth_info", "refresh_tokens", "resync_contacts", "revoke"):
        assert f'id="corp-action-{action}"' in page
    events = page[page.index('id="events-group"') :]
    shown = [int(pk) for pk in re.findall(r"/admin/callbacks/callbackevent/(\d+)/change/", events)]
    assert len(shown) > 1 and shown == sorted(shown, reverse=True)
    confirm = admin_client.post(
        admin_url(AuthorizedCorp),
        {"action": "resync_contacts", "_selected_action": operation.first.pk},
    )
    assert 'id="confirm-question"' in confirm.content.decode()


def test_the_corp_page_shows_what_wecom_codes_mean_in_chinese(operation, admin_client):
    operation.first.refresh_from_db()
    assert (operation.first.app_status, operation.first.subject_type) == (3, 1)
    url = admin_url(AuthorizedCorp, "change", operation.first.pk)
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    for meaning in (
        "已付费，服务期内",
        "已认证",
        "管理员授权",
        "企业凭证 (access_token)",
        "更新时间",
    ):
        assert meaning in page, meaning
    assert "付费状态: 3" not in page and ">verified<" not in page


def test_replaying_an_event_processes_it_again(operation, admin_client):
    event = CallbackEvent.objects.filter(kind="change_auth").first() or CallbackEvent.objects.get(
        kind="cancel_auth"
    )
    attempts = event.attempts
    messages = run_action(admin_client, CallbackEvent, "replay", [event])
    assert messages == ["Replay (process again): queued 1 object; a worker processes it shortly."]
    event.refresh_from_db()
    assert event.status == "processed" and event.attempts == attempts + 1


def test_refreshing_one_credential(operation, admin_client):
    credential = Credential.objects.get(corp=operation.first, kind="corp")
    run_action(admin_client, Credential, "refresh_now", [credential])
    assert Credential.objects.get(pk=credential.pk).fetched_at > credential.fetched_at


def test_revoking_an_api_token(operation, admin_client):
    from oauth.services import api_token_issue

    _, token = api_token_issue(member=Member.objects.filter(corp=operation.first).first())
    run_action(admin_client, ApiToken, "revoke", [token])
    assert not ApiToken.objects.exists()


def test_the_event_page_masks_credentials_and_collapses_the_envelope(operation, admin_client):
    event = CallbackEvent.objects.get(kind="suite_ticket")
    html = admin_client.get(admin_url(CallbackEvent, "change", event.pk)).content.decode()
    assert "&lt;SuiteTicket&gt;***&lt;/SuiteTicket&gt;" in html
    assert "<details><summary>" in html


class TestSecretsAreWriteOnly:
    def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(
        self, operation, admin_client
    ):
        suite = Suite.objects.get(kind=Suite.Kind.THIRDPARTY)
        old_secret = suite.secret
        form = {"provider": suite.provider_id, "suite_id": suite.suite_id, "name": "新名字",
                "kind": "thirdparty", "install_mode": "formal", "secret": "", "token": "",
                "encoding_aes_key": "",
                "license_policy-TOTAL_FORMS": "0",  # the licence policy inline, left empty
                "license_policy-INITIAL_FORMS": "0"}  # fmt: skip
        response = admin_client.post(admin_url(Suite, "change", suite.pk), form)
        assert response.status_code == 302
        suite.refresh_from_db()
        assert suite.name == "新名字" and suite.secret == old_secret
        admin_client.post(
            admin_url(Suite, "change", suite.pk), {**form, "secret": "rotated-secret"}
        )
        suite.refresh_from_db()
        assert suite.secret == "rotated-secret"

    def test_a_bad_aes_key_is_a_form_error(self, operation, admin_client):
        response = admin_client.post(
            admin_url(Provider, "add"),
            {"corpid": "wwnew", "secret": "s", "encoding_aes_key": "short"},
        )
        assert response.status_code == 200 and "43 characters" in response.content.decode()
        assert not Provider.objects.filter(corpid="wwnew").exists()


class TestRegisterCodes:
    def test_creating_one_asks_wecom_and_shows_the_link_and_qr(
        self, operation, admin_client, settings
    ):
        settings.WECOM_OPEN_BASE = operation.wecom.url
        form = {"provider": Provider.objects.get().pk, "template_id": "tpldemo001",
                "state": "promo", "corp_name": "新公司", "admin_name": "",
                "admin_mobile": ""}  # fmt: skip
        response = admin_client.post(admin_url(RegisterCode, "add"), form)
        assert response.status_code == 302
        code = RegisterCode.objects.get(state="promo")
        assert len(operation.wecom.calls("service/get_register_code")) == 1
        html = admin_client.get(admin_url(RegisterCode, "change", code.pk)).content.decode()
        assert f"{operation.wecom.url}/3rdservice/wework/register?register_code=" in html
        assert 'id="register-qr" src="data:image/svg+xml;' in html

    def test_a_refusal_from_wecom_is_a_form_error(self, operation, admin_client):
        form = {"provider": Provider.objects.get().pk, "template_id": "nope", "state": ""}
        response = admin_client.post(admin_url(RegisterCode, "add"), form)
        assert response.status_code == 200 and "84020" in response.content.decode()
        assert not RegisterCode.objects.exists()


@pytest.mark.django_db
def test_secrets_posted_to_the_console_are_masked_in_error_reports(rf, admin_user):
    """Django's error reports leave out the POST fields a view marks sensitive."""
    from django.views.debug import SafeExceptionReporterFilter

    from console.site import site

    provider = Provider.objects.create(corpid="wwp", secret="old")
    request = rf.post(f"/admin/corps/provider/{provider.pk}/change/", {"secret": "NEW-SECRET"})
    request.user, request._dont_enforce_csrf_checks = admin_user, True
    site._registry[Provider].changeform_view(request, str(provider.pk))
    assert set(request.sensitive_post_parameters) == {"secret", "token", "encoding_aes_key"}
    masked = SafeExceptionReporterFilter().get_post_parameters(request)
    assert "NEW-SECRET" not in str(masked)


class TestRegisterCodeForm:
    def test_the_only_provider_is_chosen_and_the_rules_are_told(self, operation, admin_client):
        page = admin_client.get(admin_url(RegisterCode, "add"))
        form = page.context["adminform"].form
        assert str(form.initial["provider"]) == str(Provider.objects.get().pk)
        html = page.content.decode()
        assert "推广二维码" in html and "letters and digits" in html

    def test_a_bad_state_is_refused_before_asking_wecom(self, operation, admin_client):
        operation.wecom.reset_logs()
        form = {"provider": Provider.objects.get().pk, "template_id": "tpldemo001",
                "state": "has space"}  # fmt: skip
        page = admin_client.post(admin_url(RegisterCode, "add"), form)
        assert page.status_code == 200 and "letters and digits only" in page.content.decode()
        assert operation.wecom.calls("service/get_register_code") == []

    def test_template_ids_used_before_are_suggested(self, operation, admin_client, settings):
        settings.WECOM_OPEN_BASE = operation.wecom.url
        form = {"provider": Provider.objects.get().pk, "template_id": "tpldemo001", "state": ""}
        assert admin_client.post(admin_url(RegisterCode, "add"), form).status_code == 302
        page = admin_client.get(admin_url(RegisterCode, "add")).content.decode()
        assert "Used before: tpldemo001." in page


@pytest.mark.parametrize("object_id", ["abc", "0", str(2**70)])
def test_buying_licences_for_a_corp_that_is_not_there_is_a_404(admin_client, object_id):
    """Once a 500 for an id that is not a number (the pk lookup's ValueError)."""
    page = admin_client.get(admin_url(AuthorizedCorp, "buy", object_id))
    assert page.status_code == 404
