"""schemathesis generates requests from /api/schema/ and sends them to the portal in-process:
whatever it tries, the API never answers 500, answers 5xx only as a refusal of an upstream
failure (502 or 503 with a reason and a code: nothing listens where WeCom should be), and
answers only with the statuses and bodies the schema documents. Run anonymously, as a signed-in
member, and as a service account of the owner role that may relay every path (the staff API,
credentials, messages, the relay). Generated input rarely gets past validation to a WeCom call
(a JS-SDK page URL must be on the trusted list, an OAuth code must be real);
tests/test_doors.py drives every upstream failure through each door instead."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import response_schema_conformance, status_code_conformance
from schemathesis.core.failures import ServerError

# Django's handler itself, not isvportal.wsgi: that module would freeze this test process's
# objects and count its requests towards another freeze (isvportal/heap.py), which
# tests/isvportal/test_heap.py would then see.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
UPSTREAM_REFUSALS = (502, 503)


def no_server_error_but_upstream_refusals(ctx, response, case):
    """A 5xx only as the refusal of an upstream failure: 502 or 503 with a JSON reason and code."""
    if response.status_code < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    refusal = isinstance(body, dict) and body.get("detail") and body.get("code")
    if response.status_code in UPSTREAM_REFUSALS and refusal:
        return None
    raise ServerError(operation=case.operation.label, status_code=response.status_code)


CHECKS = [no_server_error_but_upstream_refusals, status_code_conformance,
          response_schema_conformance]  # fmt: skip
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: a request must not close the test's own connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def wecom_down(settings, monkeypatch):
    """Nothing listens where WeCom should be, and the client retries without sleeping between
    tries (else each generated request that reaches WeCom waits out the backoff)."""
    from tokens import client
    from wecom.client import WeComClient

    settings.WECOM_API_BASE = "http://127.0.0.1:9"
    monkeypatch.setattr(
        client,
        "_client",
        lambda base, timeout: WeComClient(base, timeout=timeout, sleep=lambda _: None),
    )


@pytest.fixture
def member_token(corp_rows):
    from corps.models import Member
    from oauth.services import api_token_issue, member_user_ensure

    member = Member.objects.create(corp=corp_rows, open_userid="wo1", name="成员")
    member_user_ensure(member)
    return api_token_issue(member=member)[0]


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_anonymous_requests_get_no_500(case):
    case.call_and_validate(checks=CHECKS, headers={"Host": "127.0.0.1"})


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_member_requests_get_no_500(case, member_token, wecom_down):
    case.call_and_validate(
        checks=CHECKS,
        headers={"Host": "127.0.0.1", "Authorization": f"Bearer {member_token}"},
    )


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_service_account_requests_get_no_500(case, service_key, wecom_down):
    case.call_and_validate(
        checks=CHECKS,
        headers={"Host": "127.0.0.1", "Authorization": f"Bearer {service_key}"},
    )
