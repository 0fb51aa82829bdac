"""The sandbox's 接口许可 over HTTP with the wecom client: WeCom's rules for orders, codes,
renewal, transfer, the trial, test corps, multi-corp orders and payment from the balance, each
refusal with its 701xxx code."""

from __future__ import annotations

import pytest

from wecom.client import LicenseAccountError, LicenseOrderError, StaticToken, WeComAPIError
from wecom.client.license_models import BuyItem

DAY = 86400


@pytest.fixture
def licences(provider):
    return provider.license


def paid_order(wecom, licences, corpid: str, base: int = 2, interop: int = 0, months: int = 1):
    order_id = licences.create_new_order(
        corpid=corpid, buyer_userid="sunyue", base_count=base,
        external_contact_count=interop, months=months,
    )  # fmt: skip
    wecom.action("license_pay", order_id=order_id)
    return order_id


def fresh(wecom, client):
    token = client.tokens.get_provider_token(
        corpid=wecom.config.provider.corpid, provider_secret=wecom.config.provider.secret
    )
    return client.provider(StaticToken(token.value)).license


def codes(licences, order_id: str) -> list[str]:
    return [a.active_code for a in licences.list_order_account(order_id=order_id).accounts]


def test_an_order_is_unpaid_until_paid_then_its_codes_exist(wecom, licences, install):
    corpid, _ = install()
    order_id = licences.create_new_order(
        corpid=corpid, buyer_userid="sunyue", base_count=3, months=12
    )
    order = licences.get_order(order_id=order_id)
    assert (order.order_status, order.base_count, order.months) == (0, 3, 12)
    assert order.price == 3 * 300 * 12  # the sandbox's price list: 300 fen a base account-month
    assert codes(licences, order_id) == []
    pushed = wecom.action("license_pay", order_id=order_id)
    assert pushed["push"]["ok"] and wecom.pushes("license_pay_success")
    assert licences.get_order(order_id=order_id).order_status == 1
    assert len(codes(licences, order_id)) == 3
    with pytest.raises(LicenseOrderError) as refused:
        licences.cancel_order(corpid=corpid, order_id=order_id)
    assert refused.value.errcode == 701169


@pytest.mark.parametrize(
    ("fields", "errcode"),
    [
        ({"base_count": 0}, 40058),
        ({"base_count": 1, "months": 0, "days": 30}, 40058),
        ({"base_count": 1, "months": 61}, 40058),
        ({"base_count": 1, "buyer_userid": "nobody"}, 701166),
    ],
)
def test_bad_orders_are_refused_as_wecom_does(licences, install, fields, errcode):
    corpid, _ = install()
    order = {"buyer_userid": "sunyue", "months": 1, **fields}
    with pytest.raises(WeComAPIError) as refused:
        licences.create_new_order(corpid=corpid, **order)
    assert refused.value.errcode == errcode


def test_a_test_install_gets_free_one_month_orders_paid_at_once(wecom, licences, suite):
    corpid = wecom.corps[1]
    wecom.action("create_auth", suite_id=wecom.suite.suite_id, corpid=corpid, auth_type=1)
    order_id = licences.create_new_order(
        corpid=corpid, buyer_userid="sunyue", base_count=5, months=1
    )
    order = licences.get_order(order_id=order_id)
    assert (order.order_status, order.price) == (1, 0)
    with pytest.raises(LicenseOrderError) as refused:
        licences.create_new_order(corpid=corpid, buyer_userid="sunyue", base_count=1, months=2)
    assert refused.value.errcode == 701028
    info = licences.get_app_license_info(corpid=corpid, suite_id=wecom.suite.suite_id)
    assert info.trial_end_time is None  # test installs have no trial


def test_one_code_per_type_and_a_second_binds_only_in_the_last_20_days(
    wecom, client, licences, install
):
    corpid, _ = install()
    first, second = codes(licences, paid_order(wecom, licences, corpid))
    licences.active_account(active_code=first, corpid=corpid, userid="lina")
    with pytest.raises(LicenseAccountError) as refused:
        licences.active_account(active_code=second, corpid=corpid, userid="lina")
    assert refused.value.errcode == 701082
    with pytest.raises(LicenseAccountError) as refused:
        licences.active_account(active_code=first, corpid=corpid, userid="wangfang")
    assert refused.value.errcode == 701003
    wecom.action("advance_clock", seconds=12 * DAY)  # 19 days left of 31
    licences = fresh(wecom, client)  # the provider token expired on the way
    licences.active_account(active_code=second, corpid=corpid, userid="lina")
    merged = licences.get_active_info_by_code(corpid=corpid, active_code=first)
    renewed = licences.get_active_info_by_code(corpid=corpid, active_code=second)
    assert merged.status == 5 and merged.merged_into == second
    # the new code's 31 days start where the merged one's end: 19 days (less the seconds this
    # test took since the first activation) and 31
    assert renewed.expire_time == merged.expire_time + 31 * DAY
    assert 0 <= (19 + 31) * DAY - (renewed.expire_time - renewed.active_time) < 60


def test_a_transfer_moves_the_leavers_account_to_the_successor(wecom, licences, install):
    corpid, _ = install()
    [code] = codes(licences, paid_order(wecom, licences, corpid, base=1))
    licences.active_account(active_code=code, corpid=corpid, userid="lina")
    [result] = licences.batch_transfer_license(corpid=corpid, transfers=[("lina", "liuyang")])
    assert result.errcode == 0
    [held] = licences.get_active_info_by_user(corpid=corpid, userid="liuyang")
    assert held.active_code == code
    assert licences.get_active_info_by_user(corpid=corpid, userid="lina") == ()


def test_a_member_of_another_corp_or_a_code_of_another_corp_is_refused(wecom, licences, install):
    corpid, _ = install(0)
    other, _ = install(1)
    [code] = codes(licences, paid_order(wecom, licences, corpid, base=1))
    with pytest.raises(LicenseAccountError) as refused:
        licences.active_account(active_code=code, corpid=corpid, userid="chenjing")
    assert refused.value.errcode == 701019
    with pytest.raises(LicenseAccountError) as refused:
        licences.active_account(active_code=code, corpid=other, userid="chenjing")
    assert refused.value.errcode == 701021


def test_a_renewal_job_extends_the_members_it_names(wecom, licences, install):
    corpid, _ = install()
    [code] = codes(licences, paid_order(wecom, licences, corpid, base=1))
    licences.active_account(active_code=code, corpid=corpid, userid="lina")
    before = licences.get_active_info_by_code(corpid=corpid, active_code=code).expire_time
    jobid, refused = licences.create_renew_order_job(
        corpid=corpid, accounts=[("lina", 1), ("wangfang", 1)]
    )
    assert len(refused) == 1  # wangfang holds no base account to renew (701004)
    order_id = licences.submit_order_job(jobid=jobid, buyer_userid="sunyue", months=2)
    assert licences.get_order(order_id=order_id).is_renewal
    wecom.action("license_pay", order_id=order_id)
    after = licences.get_active_info_by_code(corpid=corpid, active_code=code).expire_time
    assert after - before == 2 * 31 * DAY


def test_a_multi_corp_order_paid_from_the_balance(wecom, licences, install, receiver):
    first, _ = install(0)
    second, _ = install(1)
    balance = licences.get_account_balance()
    jobid, invalid = licences.create_new_order_job(
        items=[BuyItem(corpid=first, base_count=2, months=1),
               BuyItem(corpid=second, base_count=1, months=1),
               BuyItem(corpid=first, base_count=1, months=1)]
    )  # fmt: skip
    assert [(f.corpid, f.errcode) for f in invalid] == [(first, 701124)]
    licences.submit_new_order_job(jobid=jobid, buyer_userid="sunyue")
    result = licences.new_order_job_result(jobid=jobid)
    union = licences.get_union_order(order_id=result.order_id)
    assert union.order.order_type == 8 and len(union.sub_orders) == 2
    jobid = licences.submit_pay_job(order_id=result.order_id, payer_userid="sunyue")
    paid = licences.pay_job_result(jobid=jobid)
    assert (paid.status, paid.errcode) == (1, 0)
    assert licences.get_account_balance() == balance - 3 * 300
    receiver.wait_for("license_pay_success", count=2)
    sub = union.sub_orders[0]
    assert len(licences.list_order_account(order_id=sub.sub_order_id).accounts) == sub.base_count


def test_unlicensed_members_are_reported_by_message_send_after_the_trial(wecom, licences, corp):
    api, corpid, result = corp
    sent = api.send_text(agentid=result.agents[0].agentid, content="hi", touser=["lina"])
    assert sent.unlicensed_users == ()  # inside the trial everyone may be reached
    wecom.action("end_trial", suite_id=wecom.suite.suite_id, corpid=corpid)
    sent = api.send_text(
        agentid=result.agents[0].agentid, content="hi", touser=["lina", "wangfang"]
    )
    assert len(sent.unlicensed_users) == 2
