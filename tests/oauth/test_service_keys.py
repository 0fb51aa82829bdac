"""Service accounts: `manage.py apikey` and the console make them, `Bearer isv_…` uses them on
the staff API with their role and scope, and revoked or expired keys get 401."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from corps.models import AuthorizedCorp, Provider, Suite
from oauth.models import ServiceKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants():
    """Provider A with two suites and a corp in each; provider B with one."""
    a, b = (Provider.objects.create(corpid=c, secret="s") for c in ("wwprova", "wwprovb"))
    suites = {}
    for provider, suite_id in ((a, "wwsuitea1"), (a, "wwsuitea2"), (b, "wwsuiteb1")):
        suites[suite_id] = Suite.objects.create(
            provider=provider, suite_id=suite_id, secret="s", token="t", encoding_aes_key="k" * 43
        )
        AuthorizedCorp.objects.create(
            suite=suites[suite_id], corpid=f"wp{suite_id}", permanent_code="p"
        )
    return suites


def apikey(*args: str) -> str:
    out = io.StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def new_key(*args: str) -> str:
    return apikey("create", *args).splitlines()[-1]


def corps_seen(client, key: str) -> set[str]:
    response = client.get("/api/v1/corps/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return {c["corpid"] for c in response.json()["results"]}


def test_create_prints_the_key_once_as_the_last_line_and_keeps_its_digest(tenants):
    key = new_key("crm", "--provider", "wwprova")
    assert key.startswith("isv_") and len(key) > 40
    row = ServiceKey.objects.get(name="crm")
    assert key not in (row.digest, row.hint) and row.hint == key[-4:]
    listed = apikey("list", "--json")
    assert key not in listed and row.digest not in listed
    assert json.loads(listed)[0] | {"created_at": None} == {
        "name": "crm", "provider": "wwprova", "role": "operator", "suites": [], "state": "active",
        "key_ends_with": key[-4:], "created_at": None, "expires_at": None, "last_used_at": None,
    }  # fmt: skip


def test_a_key_sees_its_provider_only(tenants, client):
    key = new_key("crm", "--provider", "wwprova")
    assert corps_seen(client, key) == {"wpwwsuitea1", "wpwwsuitea2"}
    suites = client.get("/api/v1/suites/", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert {s["suite_id"] for s in suites} == {"wwsuitea1", "wwsuitea2"}


def test_a_key_narrowed_to_suites_sees_those_only(tenants, client):
    key = new_key("crm", "--provider", "wwprova", "--suites", "wwsuitea2", "--role", "owner")
    assert corps_seen(client, key) == {"wpwwsuitea2"}


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown"])
def test_revoked_expired_and_unknown_keys_get_401(tenants, client, time_machine, how):
    key = new_key("crm", "--provider", "wwprova", "--expires", "30")
    assert corps_seen(client, key)
    if how == "revoked":
        apikey("revoke", "crm")
    elif how == "expired":
        time_machine.move_to(timezone.now() + timedelta(days=31))
    else:
        key = key[:-4] + "AAAA"
    response = client.get("/api/v1/corps/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_last_use_is_written_at_most_once_a_minute(tenants, client, time_machine):
    key = new_key("crm", "--provider", "wwprova")
    start = timezone.now()
    time_machine.move_to(start)
    corps_seen(client, key)
    first = ServiceKey.objects.get().last_used_at
    assert first is not None
    time_machine.move_to(start + timedelta(seconds=30))
    corps_seen(client, key)
    assert ServiceKey.objects.get().last_used_at == first
    time_machine.move_to(start + timedelta(seconds=61))
    corps_seen(client, key)
    assert ServiceKey.objects.get().last_used_at > first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "x", "--provider", "wwnope"], "No provider wwnope"),
        (["create", "x", "--provider", "wwprova", "--suites", "wwsuiteb1"], "No suite wwsuiteb1"),
        (["create", "x", "--provider", "wwprova", "--expires", "0"], "positive number of days"),
        # once an OverflowError: the expiry date was past the largest date Python keeps
        (["create", "x", "--provider", "wwprova", "--expires", "99999999"], "at most 36500"),
        (["create", " ", "--provider", "wwprova"], "needs a name"),
        (["revoke", "nobody"], "No service account named nobody"),
    ],
)
def test_bad_input_is_refused_with_a_reason(tenants, args, message):
    with pytest.raises(CommandError, match=message):
        apikey(*args)
    assert not ServiceKey.objects.exists()


def test_a_name_is_taken_once(tenants):
    new_key("crm", "--provider", "wwprova")
    with pytest.raises(CommandError, match="exists already"):
        apikey("create", "crm", "--provider", "wwprovb")


def test_the_console_shows_a_new_key_once_and_it_works(tenants, admin_client, client):
    suite = Suite.objects.get(suite_id="wwsuitea1")
    page = admin_client.post(
        "/admin/oauth/servicekey/add/",
        {"name": "billing", "provider": suite.provider_id, "role": "operator",
         "suites": [suite.pk], "expires_days": "90"},
    )  # fmt: skip
    assert page.status_code == 200
    key = page.context["key"]
    assert key in page.content.decode()
    assert corps_seen(client, key) == {"wpwwsuitea1"}
    row = ServiceKey.objects.get(name="billing")
    assert row.expires_at > timezone.now() + timedelta(days=89)
    detail = admin_client.get(f"/admin/oauth/servicekey/{row.pk}/change/").content.decode()
    assert (
        key not in detail
        and key not in admin_client.get("/admin/oauth/servicekey/").content.decode()
    )


def test_the_console_refuses_suites_of_another_provider(tenants, admin_client):
    other = Suite.objects.get(suite_id="wwsuiteb1")
    page = admin_client.post(
        "/admin/oauth/servicekey/add/",
        {"name": "x", "provider": Provider.objects.get(corpid="wwprova").pk, "role": "operator",
         "suites": [other.pk]},
    )  # fmt: skip
    assert page.status_code == 200 and "chosen provider only" in page.content.decode()
    assert not ServiceKey.objects.exists()


def test_the_console_refuses_an_expiry_past_a_century(tenants, admin_client):
    page = admin_client.post(
        "/admin/oauth/servicekey/add/",
        {"name": "x", "provider": Provider.objects.get(corpid="wwprova").pk, "role": "operator",
         "expires_days": "99999999"},
    )  # fmt: skip
    assert page.status_code == 200 and page.context["adminform"].form.errors["expires_days"]
    assert not ServiceKey.objects.exists()
