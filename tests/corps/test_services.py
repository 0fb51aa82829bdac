from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corps.contacts import member_upsert
from corps.models import AuthorizedCorp, Member, Suite
from corps.services import (
    corp_authorize,
    corp_cancel,
    provider_upsert,
    suite_ticket_store,
    suite_upsert,
)
from wecom.client.models import PermanentCode

pytestmark = pytest.mark.django_db
KEY = "Su1teDem0KeyAbCdEfGhIjKlMnOpQrStUvWxYz01234"


@pytest.fixture
def suite():
    provider_upsert(corpid="wwp", secret="s")
    return suite_upsert(
        suite_id="ww1", provider_corpid="wwp", secret="s", token="t", encoding_aes_key=KEY
    )[0]


def permanent_code(corpid="wpcorp", code="P1", name="星辰科技") -> PermanentCode:
    return PermanentCode.from_json(
        {
            "permanent_code": code,
            "auth_corp_info": {"corpid": corpid, "corp_name": name, "corp_user_max": 50},
            "auth_info": {"agent": [{"agentid": 1000002, "privilege": {"level": 1}}]},
            "edition_info": {"agent": [{"agentid": 1000002, "edition_name": "专业版"}]},
            "auth_user_info": {"userid": "zhangwei", "open_userid": "wo1"},
            "state": "s1",
        }
    )


def test_upserts_are_idempotent(suite):
    provider, created = provider_upsert(corpid="wwp", secret="new", name="演示")
    assert not created and provider.secret == "new" and provider.name == "演示"
    again, created = suite_upsert(
        suite_id="ww1", provider_corpid="wwp", secret="s2", token="t", encoding_aes_key=KEY
    )
    assert not created and again.pk == suite.pk and again.secret == "s2"


def test_the_newest_suite_ticket_wins(suite):
    now = datetime.now(UTC)
    assert suite_ticket_store(suite=suite, ticket="new", pushed_at=now)
    assert not suite_ticket_store(suite=suite, ticket="old", pushed_at=now - timedelta(minutes=10))
    suite.refresh_from_db()
    assert suite.suite_ticket == "new" and suite.ticket_is_fresh()


def test_authorize_then_cancel_then_reinstall_keeps_one_tenant(suite):
    corp, created = corp_authorize(suite=suite, result=permanent_code())
    assert created
    assert (corp.corp_name, corp.agentid, corp.edition_name, corp.corp_user_max) == (
        "星辰科技",
        1000002,
        "专业版",
        50,
    )
    assert corp.admin_userid == "zhangwei" and corp.install_state == "s1"
    cancelled = corp_cancel(corp=corp)
    assert cancelled.status == "cancelled" and cancelled.permanent_code == ""
    again, created = corp_authorize(suite=suite, result=permanent_code(code="P2"))
    assert not created and again.pk == corp.pk
    assert again.is_active and again.reactivated_at is not None
    assert again.permanent_code == "P2"
    assert AuthorizedCorp.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"encoding_aes_key": "short"}, "43 characters"),
        ({"provider_corpid": "wwnobody"}, "No provider wwnobody"),
        ({"secret": " "}, "must not be empty"),
        ({"install_mode": "beta"}, "Unknown install mode"),
    ],
)
def test_bad_suite_input_is_refused(suite, args, reason):
    values = {
        "suite_id": "ww2",
        "provider_corpid": "wwp",
        "secret": "s",
        "token": "t",
        "encoding_aes_key": KEY,
        **args,
    }
    with pytest.raises(ValidationError, match=reason):
        suite_upsert(**values)
    assert not Suite.objects.filter(suite_id="ww2").exists()


def test_a_member_upsert_writes_only_what_changed(suite):
    corp, _ = corp_authorize(suite=suite, result=permanent_code())
    member = member_upsert(corp=corp, open_userid="wo1", userid="lina", name="李娜")
    before = Member.objects.get(pk=member.pk).updated_at
    with CaptureQueriesContext(connection) as same:
        member_upsert(corp=corp, open_userid="wo1", userid="lina", name="李娜", avatar=None)
    assert not [q for q in same.captured_queries if q["sql"].startswith("UPDATE")]
    assert Member.objects.get(pk=member.pk).updated_at == before
    with CaptureQueriesContext(connection) as renamed:
        member_upsert(corp=corp, open_userid="wo1", userid="lina", name="李娜娜")
    [update] = [q["sql"] for q in renamed.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"name"' in update and '"updated_at"' in update and '"userid"' not in update
    stored = Member.objects.get(pk=member.pk)
    assert (stored.userid, stored.name) == ("lina", "李娜娜") and stored.updated_at > before
