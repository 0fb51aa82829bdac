"""接口许可 end to end: the portal over HTTP against the sandbox, which keeps orders and codes
with WeCom's rules and pushes the licence events to the portal's system-event URL."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from corps.models import Provider
from licenses.models import ActiveCode, CorpLicense, LicenseOrder, UnlicensedAttempt
from licenses.services import codes_renew, corp_license_sync, member_activate, order_create
from oauth.keys import service_key_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(portal):
    key, _row = service_key_create(name="billing", provider=portal.provider)
    portal.http.headers["Authorization"] = f"Bearer {key}"
    return portal


def member_token(portal, corp_index: int, userid: str) -> str:
    code = portal.oauth_code(corp_index, userid)
    body = {"suite_id": portal.suite.suite_id, "code": code}
    answer = portal.http.post(f"{portal.url}/api/v1/auth/sso/", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def me(portal, token: str):
    headers = {"Authorization": f"Bearer {token}"}
    return portal.http.get(f"{portal.url}/api/v1/me/", headers=headers, timeout=30)


def install_past_trial(portal, index: int = 0):
    """Install the app; the sandbox then dates the install 91 days back, so its 90-day trial
    is over, and the portal syncs the corp's licence state from it."""
    corp = portal.install(index)
    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    corp_license_sync(corp)
    return corp


def test_a_trial_runs_out_then_a_bought_and_activated_licence_lets_the_member_in(staff):
    portal = staff
    corp = portal.install(0)
    token = member_token(portal, 0, "lina")  # inside the trial: in, and the trial is learnt
    assert CorpLicense.objects.get(corp=corp).trial_end > timezone.now()
    assert me(portal, token).json()["license"] == {"active": False, "expire_time": None}

    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    corp_license_sync(corp)
    state = CorpLicense.objects.get(corp=corp)
    assert state.check_enabled and state.trial_end < timezone.now()
    refused = me(portal, token)
    assert (refused.status_code, refused.json()["code"]) == (403, "license_required")
    assert UnlicensedAttempt.objects.filter(corp=corp).exists()

    order = portal.http.post(
        f"{portal.url}/api/v1/license-orders/",
        json={"corpid": corp.corpid, "base_count": 10, "months": 1, "buyer_userid": "sunyue"},
        timeout=30,
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    assert order.json()["status"] == LicenseOrder.Status.UNPAID

    paid = portal.wecom.action("license_pay", order_id=order_id)
    assert paid["push"]["ok"], paid
    assert LicenseOrder.objects.get(order_id=order_id).status == LicenseOrder.Status.PAID
    assert ActiveCode.objects.filter(order__order_id=order_id).count() == 10

    activated = portal.http.post(
        f"{portal.url}/api/v1/corps/{corp.corpid}/license/activate/",
        json={"userid": "lina"},
        timeout=30,
    )
    assert activated.status_code == 200, activated.text
    assert activated.json()["status"] == ActiveCode.Status.BOUND
    assert activated.json()["expire_time"]

    allowed = me(portal, token)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["license"]["active"] is True

    summary = portal.http.get(f"{portal.url}/api/v1/corps/{corp.corpid}/license/", timeout=30)
    # a month is 31 days: the new account does not expire within 30
    assert summary.json()["accounts"] == {"active": 1, "available": 9, "expiring_30d": 0}
    lina = corp.members.get(userid="lina")
    assert lina.open_userid not in summary.json()["unlicensed_members"]

    # WeCom refunds the order: its codes stop working, and so does the member's access
    refunded = portal.wecom.action("license_refund", order_id=order_id)
    assert refunded["push"]["ok"], refunded
    assert LicenseOrder.objects.get(order_id=order_id).status == LicenseOrder.Status.REFUNDED
    assert me(portal, token).status_code == 403


def test_bad_licence_requests_are_refused_with_a_reason_and_nothing_is_written(staff):
    portal = staff
    corp = install_past_trial(portal)
    other = portal.install(1)
    orders = f"{portal.url}/api/v1/license-orders/"
    for body, code in [
        ({"corpid": corp.corpid, "base_count": 0, "months": 1}, "invalid_count"),
        ({"corpid": corp.corpid, "base_count": 2_000_000, "months": 1}, "invalid_count"),
        ({"corpid": corp.corpid, "base_count": 1, "months": 0}, "invalid_duration"),
        ({"corpid": corp.corpid, "base_count": 1, "months": 61}, "invalid_duration"),
    ]:
        answer = portal.http.post(orders, json={**body, "buyer_userid": "sunyue"}, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (400, code), body
    assert not portal.wecom.calls("license/create_new_order")
    assert not LicenseOrder.objects.exists()

    # WeCom's own refusal comes back with its reason: a buyer outside the provider's admins
    answer = portal.http.post(
        orders, json={"corpid": corp.corpid, "base_count": 1, "months": 1, "buyer_userid": "x"},
        timeout=30,
    )  # fmt: skip
    assert (answer.status_code, answer.json()["code"]) == (400, "license_refused")
    assert "701166" in answer.json()["detail"]

    # activating: a member of another corp, a code of another corp
    body = {"corpid": other.corpid, "base_count": 1, "months": 1, "buyer_userid": "sunyue"}
    order_id = portal.http.post(orders, json=body, timeout=30).json()["order_id"]
    portal.wecom.action("license_pay", order_id=order_id)
    foreign_code = ActiveCode.objects.get(corpid=other.corpid).code
    activate = f"{portal.url}/api/v1/corps/{corp.corpid}/license/activate/"
    for body in ({"userid": "chenjing"}, {"userid": "lina", "active_code": foreign_code}):
        answer = portal.http.post(activate, json=body, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), body
    assert not portal.wecom.calls("license/active_account")
    assert ActiveCode.objects.get(code=foreign_code).status == ActiveCode.Status.UNBOUND


def test_another_providers_service_account_finds_none_of_the_corps_licence_routes(portal):
    corp = portal.install(0)
    other = Provider.objects.create(corpid="wwotherprovider", secret="s")
    key, _row = service_key_create(name="stranger", provider=other)
    headers = {"Authorization": f"Bearer {key}"}
    base = f"{portal.url}/api/v1/corps/{corp.corpid}/license"
    for method, url, body in [
        ("get", f"{base}/", None),
        ("get", f"{base}/codes/", None),
        ("post", f"{base}/activate/", {"userid": "lina"}),
        ("post", f"{portal.url}/api/v1/license-orders/",
         {"corpid": corp.corpid, "base_count": 1, "months": 1, "buyer_userid": "sunyue"}),
    ]:  # fmt: skip
        answer = portal.http.request(method, url, json=body, headers=headers, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), url
    assert not portal.wecom.calls("license/create_new_order")


def bought_and_activated_for_lina(portal, corp, *, base_count: int) -> str:
    """Buy the corp base_count accounts through the staff API, pay, activate one for lina;
    the corp's licence API base URL."""
    body = {"corpid": corp.corpid, "base_count": base_count, "months": 1,
            "buyer_userid": "sunyue"}  # fmt: skip
    order_id = portal.http.post(f"{portal.url}/api/v1/license-orders/", json=body, timeout=30)
    portal.wecom.action("license_pay", order_id=order_id.json()["order_id"])
    base = f"{portal.url}/api/v1/corps/{corp.corpid}/license"
    assert portal.http.post(f"{base}/activate/", json={"userid": "lina"}, timeout=30).ok
    return base


def test_a_corps_codes_are_listed_by_status_and_an_unknown_status_is_refused(staff):
    portal = staff
    base = bought_and_activated_for_lina(portal, portal.install(0), base_count=2)

    def statuses(wanted: str) -> list[int]:
        answer = portal.http.get(f"{base}/codes/", params={"status": wanted}, timeout=30)
        assert answer.status_code == 200, answer.text
        return sorted(code["status"] for code in answer.json())

    assert (statuses(""), statuses("1"), statuses("2"), statuses("1, 2")) == (
        [1, 2], [1], [2], [1, 2])  # fmt: skip
    # "²" passes str.isdigit() but not int(): once a 500; "x" was read as no filter at all
    for wanted in ("²", "x", "9", "1,x"):
        answer = portal.http.get(f"{base}/codes/", params={"status": wanted}, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid"), wanted
        assert answer.json()["errors"]["status"]


def test_staff_transfer_an_account_then_renew_it(staff):
    portal = staff
    corp = portal.install(0)
    base = bought_and_activated_for_lina(portal, corp, base_count=1)

    moved = portal.http.post(
        f"{base}/transfer/", json={"handover": "lina", "takeover": "liuyang"}, timeout=30
    )
    assert moved.status_code == 200, moved.text
    [code] = moved.json()
    liuyang = corp.members.get(userid="liuyang")
    assert (code["open_userid"], code["source"]) == (liuyang.open_userid, "transfer")
    again = portal.http.post(
        f"{base}/transfer/", json={"handover": "lina", "takeover": "liuyang"}, timeout=30
    )
    assert (again.status_code, again.json()["code"]) == (400, "license_refused")  # 701016

    held = ActiveCode.objects.get(code=code["active_code"])
    before = held.expires_at
    [renewal] = codes_renew([held], buyer_userid="sunyue", months=1)
    assert (renewal.kind, renewal.status) == (LicenseOrder.Kind.RENEWAL, LicenseOrder.Status.UNPAID)
    portal.wecom.action("license_pay", order_id=renewal.order_id)
    held.refresh_from_db()
    assert (held.expires_at - before).days == 31


def test_an_unlicensed_member_opening_the_app_is_stopped_by_wecom_which_notifies(portal, settings):
    """Past the trial, WeCom's OAuth page refuses a member without a licence and pushes
    unlicensed_notify; the portal records the attempt."""
    settings.WECOM_OAUTH_BASE, settings.PUBLIC_BASE_URL = portal.wecom.url, portal.url
    corp = portal.install(0)
    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    page = portal.http.get(f"{portal.url}/oauth/login/{portal.suite.suite_id}/", timeout=30)
    assert page.url.startswith(portal.wecom.url)  # WeCom's authorize page
    refused = portal.http.post(page.url, data={"member": f"{corp.corpid}|lina"}, timeout=30)
    assert refused.status_code == 403
    lina = corp.members.get(userid="lina")
    [attempt] = UnlicensedAttempt.objects.filter(corp=corp)
    assert attempt.member == lina


def test_synclicenses_reports_each_corp_and_refuses_an_unknown_one(portal):
    corp = portal.install(0)
    placed = order_create(corp=corp, buyer_userid="sunyue", base_count=2, interop_count=0, months=1)
    portal.wecom.action("license_pay", order_id=placed.order_id)
    out = StringIO()
    with translation.override("en"):
        call_command("synclicenses", corpid=corp.corpid, stdout=out)
    assert f"{corp.corpid}: 0 active, 2 available" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("synclicenses", corpid="wpnobody")


def test_the_console_transfers_a_members_accounts_to_a_chosen_successor(portal, admin_client):
    corp = portal.install(0)
    placed = order_create(corp=corp, buyer_userid="sunyue", base_count=1, interop_count=0, months=1)
    portal.wecom.action("license_pay", order_id=placed.order_id)
    code = member_activate(member=corp.members.get(userid="lina"))
    action = {"action": "transfer_codes", "_selected_action": [code.pk]}
    chooser = admin_client.post("/admin/licenses/activecode/", action)
    assert chooser.status_code == 200 and 'id="takeover"' in chooser.content.decode()
    liuyang = corp.members.get(userid="liuyang")
    done = admin_client.post("/admin/licenses/activecode/", {**action, "takeover": liuyang.pk})
    assert done.status_code == 302
    code.refresh_from_db()
    assert (code.open_userid, code.source) == (liuyang.open_userid, ActiveCode.Source.TRANSFER)
