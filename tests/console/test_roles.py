"""Console roles from WeCom's admin levels, through the sandbox's provider QR login, and what
each role may open; and, with a second provider in the same deployment, that staff see their own
provider's rows only, in the console and in the staff API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Provider, RegisterCode, Suite
from oauth.models import AuditRecord
from tests.oauth.conftest import follow_to_portal, sign_in

CREATOR, ADMIN = "sunyue", "machao"  # the creator of the sandbox's provider corp, and another
OWNER_ONLY = [
    "/admin/auth/user/",
    "/admin/auth/group/",
    "/admin/corps/provider/",
    "/admin/oauth/servicekey/",
    "/admin/oauth/staffmembership/",
    "/admin/oauth/apitoken/",
]


class ProviderLogin:
    """A provider admin signing in through the sandbox's login QR page at a WeCom admin level;
    ``client`` is their browser."""

    def __init__(self, portal, client) -> None:
        self.wecom, self.client = portal.wecom, client
        self.provider = portal.wecom.config.provider.corpid

    def __call__(self, userid: str, usertype: int | None = None):
        if usertype is not None:
            self.wecom.action("admin_level", corpid=self.provider, userid=userid, usertype=usertype)
        start = self.client.get("/oauth/provider-login/", {"provider": self.provider})
        path, query = follow_to_portal(start, {"member": f"{self.provider}|{userid}"})
        return self.client.get(path, query)


@pytest.fixture
def staff(portal, settings, client):
    settings.WECOM_OPEN_BASE = portal.wecom.url
    return ProviderLogin(portal, client)


def console_user(userid: str):
    return get_user_model().objects.get(username__endswith=f"-{userid}")


@pytest.mark.parametrize(
    ("userid", "usertype", "role"),
    [(CREATOR, None, "owner"), (ADMIN, 2, "owner"), (ADMIN, 3, "operator"), (ADMIN, 4, "operator")],
)
def test_wecom_admin_levels_become_console_roles(staff, userid, usertype, role):
    response = staff(userid, usertype)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    user = console_user(userid)
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert [g.name for g in user.groups.all()] == [role]
    assert user.staff_membership.role == role
    assert user.staff_membership.usertype == (usertype or 1)
    assert staff.client.get("/admin/").status_code == 200


def test_a_plain_member_of_the_provider_is_refused_with_a_clear_page(staff):
    response = staff(ADMIN, 5)
    assert response.status_code == 403
    assert "not one of its admins" in response.content.decode()
    assert not get_user_model().objects.filter(is_staff=True).exists()
    assert AuditRecord.objects.get().detail["usertype"] == 5


def test_the_audit_log_names_who_was_refused(staff, admin_client):
    staff(ADMIN, 5)
    listing = admin_client.get("/admin/oauth/auditrecord/").content.decode()
    assert f"{ADMIN} · member" in listing


def test_the_role_is_evaluated_again_at_every_sign_in(staff):
    staff(ADMIN, 2)
    assert staff.client.get("/admin/corps/provider/").status_code == 200
    staff.client.logout()
    staff(ADMIN, 4)  # WeCom demoted them to 分级管理员
    assert [g.name for g in console_user(ADMIN).groups.all()] == ["operator"]
    assert staff.client.get("/admin/corps/provider/").status_code == 403
    staff.client.logout()
    assert staff(ADMIN, 5).status_code == 403  # and then to a plain member


def test_an_account_an_owner_disabled_cannot_sign_in_again(staff):
    staff(ADMIN, 3)
    get_user_model().objects.filter(username__endswith=f"-{ADMIN}").update(is_active=False)
    staff.client.logout()
    response = staff(ADMIN, 3)
    assert response.status_code == 403 and "disabled" in response.content.decode()


def test_an_operator_acts_on_tenants_but_opens_no_users_providers_or_secrets(portal, staff):
    corp = portal.install(0)
    staff(ADMIN, 4)
    browser = staff.client
    for url in OWNER_ONLY:
        assert browser.get(url).status_code == 403, url
    listing = browser.get("/admin/corps/authorizedcorp/").content.decode()
    assert corp.corp_name in listing
    assert 'value="revoke"' not in listing  # an action that cannot be undone: owners only
    suite_page = browser.get(f"/admin/corps/suite/{portal.suite.pk}/change/").content.decode()
    suite = Suite.objects.get(pk=portal.suite.pk)
    assert 'name="secret"' not in suite_page and suite.secret not in suite_page
    assert suite.token not in suite_page and suite.encoding_aes_key not in suite_page
    assert browser.post(f"/admin/corps/suite/{portal.suite.pk}/change/", {}).status_code == 403
    resync = browser.post(
        "/admin/corps/authorizedcorp/",
        {"action": "resync_contacts", "_selected_action": [corp.pk], "confirmed": "yes"},
    )
    assert resync.status_code == 302
    assert "1" in str(list(resync.wsgi_request._messages))


def test_an_owner_opens_providers_and_enters_secrets_but_grants_nothing(portal, staff):
    staff(ADMIN, 4)
    operator = console_user(ADMIN)
    staff.client.logout()
    staff(CREATOR)
    browser = staff.client
    for url in OWNER_ONLY:
        assert browser.get(url).status_code == 200, url
    suite_page = browser.get(f"/admin/corps/suite/{portal.suite.pk}/change/").content.decode()
    assert (
        'name="secret"' in suite_page
        and Suite.objects.get(pk=portal.suite.pk).secret not in suite_page
    )
    user_page = f"/admin/auth/user/{operator.pk}/change/"
    assert 'name="is_superuser"' not in browser.get(user_page).content.decode()
    browser.post(user_page, {"is_superuser": "on", "is_active": "on", "groups": []})
    operator.refresh_from_db()
    assert not operator.is_superuser and [g.name for g in operator.groups.all()] == ["operator"]
    assert browser.get(f"/admin/auth/user/{operator.pk}/password/").status_code == 403


class TestTwoProviders:
    """Provider B shares the deployment; provider A's staff (the sandbox's) never see B."""

    @pytest.fixture
    def other(self, portal):
        provider = Provider.objects.create(corpid="wwproviderb", secret="secret-b")
        suite = Suite.objects.create(
            provider=provider, suite_id="wwsuiteb", name="B 应用", secret="s", token="t",
            encoding_aes_key="k" * 43,
        )  # fmt: skip
        corp = AuthorizedCorp.objects.create(
            suite=suite, corpid="wpcorpb", corp_name="乙方公司", permanent_code="p"
        )
        event = CallbackEvent.objects.create(
            receiver=CallbackEvent.Receiver.DATA, suite=suite, corp=corp, corpid="wpcorpb",
            kind="enter_agent", dedupe_key="b-1", xml="<xml/>", envelope="<xml/>",
        )  # fmt: skip
        code = RegisterCode.objects.create(
            provider=provider, template_id="tplb", code_digest="b" * 64, corp_name="乙方注册",
            expires_at=timezone.now() + timedelta(days=1),
        )  # fmt: skip
        return {
            "suite": suite,
            "authorizedcorp": corp,
            "callbackevent": event,
            "registercode": code,
        }

    @pytest.mark.parametrize("usertype", [None, 4])
    def test_staff_of_a_see_only_a_in_the_console(self, portal, staff, other, usertype):
        mine = portal.install(0)
        staff(CREATOR if usertype is None else ADMIN, usertype)
        browser = staff.client
        corps = browser.get("/admin/corps/authorizedcorp/").content.decode()
        assert mine.corp_name in corps and "乙方公司" not in corps
        assert "B 应用" not in browser.get("/admin/corps/suite/").content.decode()
        assert "乙方注册" not in browser.get("/admin/corps/registercode/").content.decode()
        assert "wpcorpb" not in browser.get("/admin/callbacks/callbackevent/").content.decode()
        for model, row in other.items():
            app = "callbacks" if model == "callbackevent" else "corps"
            page = browser.get(f"/admin/{app}/{model}/{row.pk}/change/")
            assert page.status_code == 302, model  # Django's "doesn't exist" redirect
        dashboard = browser.get("/admin/").context
        assert dashboard["counts"]["active"] == 1

    def test_staff_of_a_see_only_a_in_the_staff_api(self, portal, staff, other):
        portal.install(0)
        staff(ADMIN, 3)
        suites = staff.client.get("/api/v1/suites/").json()
        assert {s["suite_id"] for s in suites} == {portal.suite.suite_id, "dkdemotemplate0001"}
        corps = staff.client.get("/api/v1/corps/").json()["results"]
        assert "wpcorpb" not in {c["corpid"] for c in corps} and len(corps) == 1
        refused = staff.client.post(
            "/api/v1/register-codes/",
            {"provider_corpid": "wwproviderb", "template_id": "tplb"},
            content_type="application/json",
        )
        assert refused.status_code == 400

    def test_a_superuser_sees_both(self, portal, admin_client, other):
        portal.install(0)
        suites = admin_client.get("/api/v1/suites/").json()
        theirs = {portal.suite.suite_id, "dkdemotemplate0001", "wwsuiteb"}  # the demo's two, B's
        assert {s["suite_id"] for s in suites} == theirs


def test_a_member_signed_in_by_sso_is_no_staff(portal, settings, client):
    """A member's session reaches neither the console nor the staff API."""
    settings.WECOM_OAUTH_BASE = settings.WECOM_OPEN_BASE = portal.wecom.url
    portal.install(0)
    sign_in(portal, client)
    assert client.get("/admin/").status_code == 302  # to the login page
    assert client.get("/api/v1/suites/").status_code == 403
