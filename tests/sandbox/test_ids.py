"""The ID conversion, contact search and translation calls of the wecom client against a running
sandbox over HTTP (API-business.md §4), and agent/get's view of an app in the corp."""

from __future__ import annotations

import pytest
import requests

from sandbox.world import unionid
from wecom.client import StaticToken, WeComAPIError
from wecom.client.id_models import ContactQuery


def test_customer_ids_tags_and_kf_accounts_become_the_providers(corp):
    api, _, _ = corp
    group = api.get_new_external_userid(external_userid_list=["wmOLD1"], chat_id="wrCHAT1")
    alone = api.get_new_external_userid(external_userid_list=["wmOLD1"])
    assert group.mapping["wmOLD1"] == alone.mapping["wmOLD1"] != "wmOLD1"
    tags = api.external_tagid_convert(external_tagid_list=["etTAG1", "not-a-tag"])
    assert set(tags.mapping) == {"etTAG1"} and tags.mapping["etTAG1"].startswith("et")
    assert tags.invalid == ("not-a-tag",)
    kf = api.open_kfid_convert(open_kfid_list=["wkKF1", "wkKF2"])
    assert len(set(kf.mapping.values())) == 2 and not kf.invalid


def test_a_conversion_of_more_than_1000_ids_is_refused_before_calling(wecom, corp):
    api, _, _ = corp
    wecom.reset_logs()
    with pytest.raises(ValueError, match="1000"):
        api.external_tagid_convert(external_tagid_list=[f"et{i}" for i in range(1001)])
    assert wecom.calls() == []


def test_a_customer_unionid_gives_their_external_userid_and_a_stranger_a_pending_id(corp):
    api, _, _ = corp
    customer = api.unionid_to_external_userid(unionid=unionid("林晓"), openid="oOPENID1")
    assert customer.external_userid.startswith("wm") and not customer.pending_id
    stranger = api.unionid_to_external_userid(unionid=unionid("陌生人"), openid="oOPENID2")
    assert stranger.pending_id and not stranger.external_userid
    with pytest.raises(WeComAPIError) as raised:
        api.unionid_to_external_userid(unionid=unionid("林晓"), openid="o", subject_type=7)
    assert raised.value.errcode == 40058


def test_the_suite_finds_a_customer_in_every_corp_that_has_them(wecom, suite, install):
    first, _ = install(0)
    second, _ = install(1)
    install(2)
    everywhere = suite.unionid_to_external_userid_3rd(unionid=unionid("林晓"), openid="o1")
    assert set(everywhere) == {first, second}  # 海川物流 has no such customer
    one = suite.unionid_to_external_userid_3rd(unionid=unionid("林晓"), openid="o1", corpid=second)
    assert one == {second: everywhere[second]}


def test_batchsearch_answers_each_query_in_order(provider, install):
    corpid, _ = install()
    pages = provider.contact_batchsearch(
        auth_corpid=corpid,
        queries=[ContactQuery("李娜", query_type=1), ContactQuery("市场", query_type=2)],
    )
    assert pages[0].userids == ("lina",) and pages[0].open_userids[0].startswith("wo")
    assert pages[1].department_ids == (3,) and pages[1].userids == ()
    with pytest.raises(ValueError, match="50"):
        provider.contact_batchsearch(auth_corpid=corpid, queries=[ContactQuery("x")] * 51)


def test_id_translate_turns_ids_in_an_uploaded_file_into_names(wecom, provider, install):
    corpid, _ = install()
    media_id = provider.media_upload(
        filename="roster.csv",
        content="owner,team,x\n$userName=lina$,$departmentName=2$,$departmentName=²$\n".encode(),
    )
    jobid = provider.id_translate(auth_corpid=corpid, media_id_list=[media_id])
    job = provider.batch_getresult(jobid=jobid)
    assert job.done and job.url.startswith(wecom.url)
    # An id that is no department's (not even a number, though str.isdigit() says it is) stays
    assert (
        requests.get(job.url, timeout=10).text.splitlines()[1] == "李娜,研发部,$departmentName=²$"
    )


def test_uploads_outside_wecoms_limits_are_refused(provider, install):
    corpid, _ = install()
    with pytest.raises(WeComAPIError) as too_small:
        provider.media_upload(filename="a.txt", content=b"12345")
    assert too_small.value.errcode == 44001
    with pytest.raises(WeComAPIError) as too_big:
        provider.media_upload(
            filename="a.png", content=b"\x89PNG" + bytes(2 * 1024 * 1024), media_type="image"
        )
    assert too_big.value.errcode == 40009
    with pytest.raises(WeComAPIError) as unknown:
        provider.id_translate(auth_corpid=corpid, media_id_list=["no-such-media"])
    assert unknown.value.errcode == 40007


def test_agent_get_reports_a_disabled_app(wecom, client, install):
    corpid, result = install()
    agentid = result.agents[0].agentid
    api = client.corp(StaticToken(result.access_token.value))
    assert api.agent_get(agentid=agentid).closed is False
    wecom.action("change_auth", suite_id=wecom.suite.suite_id, corpid=corpid, closed=True)
    info = api.agent_get(agentid=agentid)
    assert info.closed is True and info.publish_status is None  # a third-party app
    with pytest.raises(WeComAPIError) as raised:
        api.agent_get(agentid=agentid + 1)
    assert raised.value.errcode == 40056
