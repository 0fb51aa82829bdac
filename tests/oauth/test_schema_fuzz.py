"""schemathesis generates requests from /api/schema/ and sends them to the portal in-process:
whatever it tries, the API never answers 5xx, and answers only with the statuses and bodies the
schema documents. Run anonymously and as a signed-in member. Generated input rarely gets past
validation to a WeCom call (a JS-SDK page URL must be on the trusted list, an OAuth code must be
real); tests/test_doors.py drives every upstream failure through each door instead."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# Django's handler itself, not isvportal.wsgi: that module would freeze this test process's
# objects and count its requests towards another freeze (isvportal/heap.py), which
# tests/isvportal/test_heap.py would then see.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
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
def member_token(db):
    from corps.models import AuthorizedCorp, Member, Provider, Suite
    from oauth.services import api_token_issue, member_user_ensure

    provider = Provider.objects.create(corpid="wwp", secret="s")
    suite = Suite.objects.create(
        provider=provider, suite_id="ww1", secret="s", token="t", encoding_aes_key="k" * 43
    )
    corp = AuthorizedCorp.objects.create(suite=suite, corpid="wpcorp", permanent_code="p")
    member = Member.objects.create(corp=corp, open_userid="wo1", name="成员")
    member_user_ensure(member)
    return api_token_issue(member=member)[0]


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_anonymous_requests_never_get_a_5xx(case):
    case.call_and_validate(checks=CHECKS, headers={"Host": "127.0.0.1"})


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_member_requests_never_get_a_5xx(case, member_token, settings):
    settings.WECOM_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    case.call_and_validate(
        checks=CHECKS,
        headers={"Host": "127.0.0.1", "Authorization": f"Bearer {member_token}"},
    )
