"""Central credentials for the ISV's own services, over HTTP against the sandbox: backends in
separate processes share one upstream call per credential, a rejected token is refreshed once for
everyone, every issuance is on record, and a service account sees only its own scope."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from corps.models import AuthorizedCorp
from oauth.keys import service_key_create
from oauth.models import CredentialGrant
from oauth.tasks import purge_old_credential_grants
from tokens.models import Credential
from tokens.services import corp_credentials_drop

pytestmark = pytest.mark.django_db(transaction=True)

ASKS_PER_PROCESS = 5
BACKEND = textwrap.dedent(
    """
    import json, sys, threading, requests
    url, key, at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    import time; time.sleep(max(0.0, at - time.time()))  # every backend starts together
    answers = []
    def ask():
        reply = requests.get(url, headers={"Authorization": "Bearer " + key}, timeout=60)
        answers.append((reply.status_code, reply.json().get("access_token")))
    threads = [threading.Thread(target=ask) for _ in range(int(sys.argv[4]))]
    [t.start() for t in threads]; [t.join() for t in threads]
    print(json.dumps(answers))
    """
)


@pytest.fixture
def backend(service_api):
    """A service account of the demo provider, and a way to ask with it."""
    return service_api("crm")


def test_three_backend_processes_asking_a_cold_corp_token_cause_one_upstream_call(portal):
    corp = portal.install(0)
    key, _row = service_key_create(name="crm", provider=portal.provider)
    corp_credentials_drop(corp=corp)
    cache.clear()
    portal.wecom.reset_logs()
    portal.wecom.action("fault", endpoint="service/get_corp_token", after_ms=1000)
    url = f"{portal.url}/api/v1/corps/{corp.corpid}/access-token/"
    start = str(time.time() + 2)
    backends = [
        subprocess.Popen(
            [sys.executable, "-c", BACKEND, url, key, start, str(ASKS_PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    answers = []
    for process in backends:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
        answers += json.loads(out)
    assert {status for status, _token in answers} == {200}
    assert len(answers) == 3 * ASKS_PER_PROCESS
    assert len({token for _status, token in answers}) == 1  # the same token for everyone
    assert len(portal.wecom.calls("service/get_corp_token")) == 1
    grants = CredentialGrant.objects.filter(corp=corp, action=CredentialGrant.Action.ISSUED)
    assert grants.count() == 3 * ASKS_PER_PROCESS


def test_a_token_wecom_rejected_is_refreshed_once_for_everyone(portal, backend):
    corp = portal.install(0)
    old = backend(f"corps/{corp.corpid}/access-token/").json()["access_token"]
    portal.wecom.action("revoke_tokens", corpid=corp.corpid)
    portal.wecom.reset_logs()
    first = backend(
        f"corps/{corp.corpid}/access-token/invalidate/", "POST", json={"access_token": old}
    )
    second = backend(
        f"corps/{corp.corpid}/access-token/invalidate/", "POST", json={"access_token": old}
    )
    assert first.status_code == second.status_code == 200
    new = first.json()["access_token"]
    assert new != old and second.json()["access_token"] == new
    assert len(portal.wecom.calls("service/get_corp_token")) == 1
    actions = list(CredentialGrant.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["issued", "invalidated", "issued", "invalidated", "issued"]


def test_the_record_of_grants_is_kept_for_the_retention_days(portal, backend, settings):
    corp = portal.install(0)
    for _ in range(3):
        assert backend(f"corps/{corp.corpid}/access-token/").status_code == 200
    settings.CREDENTIAL_GRANT_RETENTION_DAYS = 30  # not the default: the setting is read
    first, *rest = CredentialGrant.objects.order_by("pk")
    CredentialGrant.objects.filter(pk=first.pk).update(at=timezone.now() - timedelta(days=31))
    CredentialGrant.objects.filter(pk=rest[0].pk).update(at=timezone.now() - timedelta(days=29))
    assert purge_old_credential_grants() == 1
    assert list(CredentialGrant.objects.order_by("pk")) == rest


def test_tickets_and_the_suite_token_are_served_too(portal, backend):
    corp = portal.install(0)
    jsapi = backend(f"corps/{corp.corpid}/jsapi-ticket/").json()
    agent = backend(f"corps/{corp.corpid}/agent-ticket/").json()
    suite = backend(f"suites/{portal.suite.suite_id}/access-token/").json()
    assert jsapi["ticket"] != agent["ticket"] and jsapi["expires_at"]
    assert suite["access_token"] == Credential.objects.get(kind="suite").value
    assert len(portal.wecom.calls("get_jsapi_ticket")) == 1


def test_a_cancelled_corp_is_refused_with_its_reason(portal, backend):
    corp = portal.install(0)
    portal.wecom.action("cancel_auth", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    answer = backend(f"corps/{corp.corpid}/access-token/")
    assert (answer.status_code, answer.json()["code"]) == (403, "authorization_cancelled")


def test_a_service_account_of_suite_a_finds_no_corp_of_suite_b(portal, service_api):
    """The demo's 代开发 template installed in a corp: an account scoped to the third-party
    app gets a 404 for it, as if it did not exist; nothing is fetched."""
    template = next(s for s in portal.wecom.config.suites if s.customized)
    portal.wecom.push_ticket(template.suite_id)
    corpid = portal.wecom.corps[1]
    assert portal.wecom.action("create_auth", suite_id=template.suite_id, corpid=corpid)["push"][
        "ok"
    ]
    only_a = service_api("only-a", suite_ids=[portal.suite.suite_id])
    portal.wecom.reset_logs()
    answer = only_a(f"corps/{corpid}/access-token/")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert portal.wecom.calls() == [] and not CredentialGrant.objects.exists()


def test_a_corp_with_two_of_the_providers_apps_must_be_narrowed_to_one(portal, backend):
    corp = portal.install(0)
    template = next(s for s in portal.wecom.config.suites if s.customized)
    portal.wecom.push_ticket(template.suite_id)
    portal.wecom.action("create_auth", suite_id=template.suite_id, corpid=corp.corpid)
    assert AuthorizedCorp.objects.filter(corpid=corp.corpid).count() == 2
    both = backend(f"corps/{corp.corpid}/access-token/")
    assert (both.status_code, both.json()["code"]) == (400, "suite_required")
    one = backend(f"corps/{corp.corpid}/access-token/?suite_id={template.suite_id}")
    theirs = AuthorizedCorp.objects.get(corpid=corp.corpid, suite__suite_id=template.suite_id)
    assert one.json()["access_token"] == Credential.objects.get(corp=theirs, kind="corp").value


def test_people_are_not_handed_tokens(portal, admin_client):
    corp = portal.install(0)
    answer = admin_client.get(f"/api/v1/corps/{corp.corpid}/access-token/")
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
