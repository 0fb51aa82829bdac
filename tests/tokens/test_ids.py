"""ID conversion end to end against the sandbox: the staff API's three conversions, its
refusals, and a corp's ID upgrade from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from corps.models import AuthorizedCorp, Provider
from oauth.keys import service_key_create
from tokens.services import corp_api

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def corp(portal):
    return portal.install(0)


@pytest.fixture
def convert(portal, corp):
    key, _row = service_key_create(name="ids", provider=portal.provider)
    url = f"{portal.url}/api/v1/corps/{corp.corpid}/id-convert/"

    def convert(body, key=key):
        headers = {"Authorization": f"Bearer {key}"}
        return portal.http.post(url, json=body, headers=headers, timeout=30)

    return convert


def test_userids_open_userids_and_external_userids_convert(convert, corp):
    lina = corp.members.get(userid="lina")
    answer = convert({"userids": ["lina", "ghost"]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"mapping": {"lina": lina.open_userid}, "invalid": ["ghost"]}
    back = convert({"open_userids": [lina.open_userid, "wonobody"]}).json()
    assert back == {"mapping": {lina.open_userid: "lina"}, "invalid": ["wonobody"]}
    first = convert({"external_userids": ["wmOLDCUSTOMER1"]}).json()["mapping"]
    again = convert({"external_userids": ["wmOLDCUSTOMER1"]}).json()["mapping"]
    assert first == again and first["wmOLDCUSTOMER1"] != "wmOLDCUSTOMER1"


@pytest.mark.parametrize(
    "body",
    [{}, {"userids": []}, {"userids": ["a"], "open_userids": ["b"]}, {"userids": "lina"}],
)
def test_a_request_naming_no_or_two_lists_is_refused(convert, body):
    answer = convert(body)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")


def test_another_providers_service_account_finds_no_corp(convert):
    other = Provider.objects.create(corpid="wwotherprovider", secret="s")
    key, _row = service_key_create(name="stranger", provider=other)
    answer = convert({"userids": ["lina"]}, key=key)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_the_upgrade_command_finishes_the_migration_in_wecom(corp):
    assert corp_api(corp).get_openid_migration() == {1: False, 3: False}
    out = StringIO()
    with translation.override("en"):
        call_command("upgradeids", corp.corpid, stdout=out)
    assert "ID upgrade finished" in out.getvalue()
    assert corp_api(corp).get_openid_migration() == {1: True, 3: True}
    assert AuthorizedCorp.objects.get(pk=corp.pk).ids_upgraded_at is not None
    with pytest.raises(CommandError):
        call_command("upgradeids", "wpnobody")
