"""No lost install: the auth_code is spent once, its answer is kept before the corp is built,
and an answer that never arrived is an alarm, not a silent loss. Against the sandbox, over HTTP
(the SIGKILL drills are in tests/drills)."""

from __future__ import annotations

import hashlib
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Member
from tests.callbacks.test_delivery import eager_retries  # noqa: F401  # a fixture
from tokens.authorization import corp_install_by_auth_code
from tokens.models import AuthCodeExchange, Credential
from tokens.services import credential_get


def test_an_answer_lost_to_a_timeout_is_an_alarm_not_a_silent_loss(
    portal,
    settings,
    eager_retries,  # noqa: F811
):
    settings.WECOM_READ_TIMEOUT = 0.5
    # WeCom spends the code, then its answer takes longer than we wait for it.
    portal.wecom.action("fault", endpoint="service/get_permanent_code", after_ms=1500)
    portal.wecom.action("create_auth", suite_id=portal.suite.suite_id, corpid=portal.wecom.corps[0])

    event = CallbackEvent.objects.get(kind="create_auth")
    assert event.status == CallbackEvent.Status.FAILED
    assert "answer was lost" in event.last_error
    wait_for_calls(portal, "service/get_permanent_code", 2)  # the slow one is logged last
    calls = portal.wecom.calls("service/get_permanent_code")
    assert sorted(c["errcode"] for c in calls) == [0, 40078]  # spent, then refused as used
    assert AuthCodeExchange.objects.get().status == AuthCodeExchange.Status.LOST
    assert not AuthorizedCorp.objects.exists()

    staff = get_user_model().objects.create_superuser("ops", password="x" * 12)
    console = Client()
    console.force_login(staff)
    page = console.get("/admin/").content.decode()
    assert "lost-install" in page and "install the app again" in page


@pytest.mark.django_db
def test_a_stored_answer_is_built_into_the_corp_without_spending_the_code_again(isv):
    """A process died after the answer was committed: the next arrival builds from it."""
    code = isv.wecom.action("create_auth", suite_id=isv.suite.suite_id, corpid=isv.wecom.corps[0])
    answer = isv.wecom.http.post(  # spend the code as the dead process did, keeping the answer
        f"{isv.wecom.url}/cgi-bin/service/get_permanent_code",
        params={"suite_access_token": _suite_token(isv)},
        json={"auth_code": code["auth_code"]},
        timeout=10,
    ).text
    AuthCodeExchange.objects.create(
        code_digest=hashlib.sha256(code["auth_code"].encode()).hexdigest(),
        suite=isv.suite,
        status=AuthCodeExchange.Status.ANSWERED,
        answer=answer,
    )
    corp = corp_install_by_auth_code(suite=isv.suite, auth_code=code["auth_code"])
    assert corp.is_active and corp.permanent_code
    assert len(isv.wecom.calls("service/get_permanent_code")) == 1
    exchange = AuthCodeExchange.objects.get()
    assert exchange.status == AuthCodeExchange.Status.INSTALLED and exchange.answer == ""


@pytest.mark.django_db
def test_the_installing_admin_is_an_admin_from_the_install_on(isv):
    code = isv.wecom.action("create_auth", suite_id=isv.suite.suite_id, corpid=isv.wecom.corps[0])
    corp = corp_install_by_auth_code(suite=isv.suite, auth_code=code["auth_code"])
    admins = Member.objects.filter(corp=corp, is_admin=True)
    assert admins.exists()
    assert corp.admin_open_userid in set(admins.values_list("open_userid", flat=True))


def wait_for_calls(portal, endpoint: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(portal.wecom.calls(endpoint)) < count:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _suite_token(isv) -> str:
    return credential_get(kind=Credential.Kind.SUITE, owner=isv.suite)
