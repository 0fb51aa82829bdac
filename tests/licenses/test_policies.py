"""The per-suite licence policy end to end against the sandbox: activation on sign-in, a
leaver's account passed on, reminders before expiry and renewal within a corp's budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.signals import app_event
from corps.models import Member
from licenses.models import ActiveCode, CorpLicense, LicenseOrder, LicensePolicy
from licenses.policies import corp_watch
from licenses.services import corp_license_sync, member_activate, order_create
from tokens.services import provider_api

pytestmark = pytest.mark.django_db(transaction=True)


def sso(portal, userid: str):
    code = portal.oauth_code(0, userid)
    body = {"suite_id": portal.suite.suite_id, "code": code}
    return portal.http.post(f"{portal.url}/api/v1/auth/sso/", json=body, timeout=30)


@pytest.fixture
def licensed_corp(portal):
    """星辰科技, its trial over, with a paid order of three base accounts."""
    corp = portal.install(0)
    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    order = order_create(corp=corp, buyer_userid="sunyue", base_count=3, interop_count=0, months=1)
    assert portal.wecom.action("license_pay", order_id=order.order_id)["push"]["ok"]
    corp_license_sync(corp)
    return corp


def policy(portal, **fields) -> LicensePolicy:
    return LicensePolicy.objects.create(suite=portal.suite, **fields)


def test_without_a_policy_a_member_past_the_trial_cannot_sign_in(portal, licensed_corp):
    refused = sso(portal, "lina")
    assert (refused.status_code, refused.json()["code"]) == (403, "license_required")
    assert not ActiveCode.objects.filter(status=ActiveCode.Status.BOUND).exists()


def test_the_sign_in_policy_activates_an_available_account(portal, licensed_corp):
    policy(portal, activate_on_sign_in=True)
    answer = sso(portal, "lina")
    assert answer.status_code == 200, answer.text
    lina = Member.objects.get(corp=licensed_corp, userid="lina")
    [held] = ActiveCode.objects.filter(status=ActiveCode.Status.BOUND)
    assert held.open_userid == lina.open_userid
    [wecom_says] = provider_api(portal.provider).license.get_active_info_by_user(
        corpid=licensed_corp.corpid, userid="lina"
    )
    assert wecom_says.active_code == held.code
    assert ActiveCode.objects.filter(status=ActiveCode.Status.UNBOUND).count() == 2


def test_a_leavers_account_goes_to_the_member_refused_for_want_of_one(portal, licensed_corp):
    policy(portal, transfer_on_leave=True)
    lina = Member.objects.get(corp=licensed_corp, userid="lina")
    code = member_activate(member=lina)
    assert sso(portal, "wangfang").status_code == 403  # refused, and remembered
    portal.act("change_contact", licensed_corp, change_type="delete_user", data={"userid": "lina"})
    wangfang = Member.objects.get(corp=licensed_corp, userid="wangfang")
    code.refresh_from_db()
    assert (code.open_userid, code.source) == (wangfang.open_userid, ActiveCode.Source.TRANSFER)
    assert sso(portal, "wangfang").status_code == 200


def test_without_the_policy_a_leavers_account_stays_where_wecom_puts_it(portal, licensed_corp):
    lina = Member.objects.get(corp=licensed_corp, userid="lina")
    code = member_activate(member=lina)
    portal.act("change_contact", licensed_corp, change_type="delete_user", data={"userid": "lina"})
    code.refresh_from_db()
    assert code.open_userid == lina.open_userid and code.source == ActiveCode.Source.ORDER


def test_a_reminder_fires_once_per_code_inside_the_window(portal, licensed_corp):
    policy(portal, remind_days=40)  # a month is 31 days: every new account is inside 40
    member_activate(member=Member.objects.get(corp=licensed_corp, userid="lina"))
    heard = []

    def listen(sender, event, corp, record, **kwargs):
        heard.append(event)

    app_event.connect(listen)
    try:
        corp_watch(licensed_corp)
        corp_watch(licensed_corp)
    finally:
        app_event.disconnect(listen)
    assert [e.kind for e in heard] == ["license.expiring"]
    assert len(heard[0].codes) == 1


def test_automatic_renewal_pays_within_the_budget_and_cancels_over_it(portal, licensed_corp):
    policy(portal, remind_days=40, auto_renew=True, renew_months=1, buyer_userid="sunyue")
    code = member_activate(member=Member.objects.get(corp=licensed_corp, userid="lina"))
    before = code.expires_at
    CorpLicense.objects.filter(corp=licensed_corp).update(renew_budget=100)  # one month: 300
    over = corp_watch(licensed_corp)
    assert over is not None and over.status == LicenseOrder.Status.CANCELLED
    code.refresh_from_db()
    assert code.expires_at == before

    LicenseOrder.objects.filter(pk=over.pk).update(ordered_at=timezone.now() - timedelta(days=2))
    CorpLicense.objects.filter(corp=licensed_corp).update(renew_budget=10_000)
    renewed = corp_watch(licensed_corp)
    assert renewed is not None and renewed.status == LicenseOrder.Status.PAID
    assert renewed.kind == LicenseOrder.Kind.RENEWAL and renewed.price == 300
    code.refresh_from_db()
    assert (code.expires_at - before).days == 31
    assert corp_watch(licensed_corp) is None  # one renewal a day


def test_the_subscribe_policy_activates_an_account_when_the_app_becomes_visible(
    portal, licensed_corp
):
    policy(portal, activate_on_subscribe=True)
    portal.act("app_event", licensed_corp, event="subscribe", userid="lina")
    lina = Member.objects.get(corp=licensed_corp, userid="lina")
    [held] = ActiveCode.objects.filter(status=ActiveCode.Status.BOUND)
    assert held.open_userid == lina.open_userid
    portal.act("app_event", licensed_corp, event="subscribe", userid="lina")  # holds one already
    assert ActiveCode.objects.filter(status=ActiveCode.Status.BOUND).count() == 1


def test_the_first_sign_in_of_a_corp_never_synced_learns_its_trial_is_over(portal):
    """No licence state yet: the sign-in asks WeCom, and refuses on what it learnt."""
    corp = portal.install(0)
    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    assert not CorpLicense.objects.filter(corp=corp).exists()
    refused = sso(portal, "lina")
    assert (refused.status_code, refused.json()["code"]) == (403, "license_required")
    assert CorpLicense.objects.get(corp=corp).check_enabled
