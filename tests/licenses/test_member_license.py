"""member_license: the base account a member holds, read by every member API request."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from corps.models import Member
from licenses.models import AccountType, ActiveCode
from licenses.services import _base_account, member_license
from tests.oauth.test_api import two_corps  # noqa: F401  (the fixture)


def test_a_member_holds_the_latest_valid_base_account_under_either_id(two_corps):  # noqa: F811
    corp = two_corps.install(0)
    member = Member.objects.get(corp=corp, userid="lina")
    now = timezone.now()

    def code(name: str, **fields: object) -> None:
        ActiveCode.objects.create(**{
            "provider": corp.suite.provider, "code": name, "corpid": corp.corpid,
            "type": AccountType.BASE, "status": ActiveCode.Status.BOUND, "source": "order",
            "open_userid": member.open_userid, "synced_at": now,
            "expires_at": now + timedelta(days=30), **fields})  # fmt: skip

    code("expired", expires_at=now - timedelta(seconds=2))
    code("interop", type=AccountType.INTEROP)
    code("available", status=ActiveCode.Status.UNBOUND)
    code("elsewhere", corpid="wwanothercorp")
    code("someone-else", open_userid="woAnotherMember")
    assert member_license(member) is None
    code("by-userid", open_userid=member.userid, expires_at=now + timedelta(days=10))
    assert member_license(member).code == "by-userid"
    code("later", expires_at=now + timedelta(days=40))
    assert member_license(member).code == "later"


def test_the_query_is_compiled_once_per_process(two_corps, monkeypatch, compiled_sql):  # noqa: F811
    members = list(Member.objects.select_related("corp").order_by("pk"))
    monkeypatch.setattr(_base_account, "_plans", {})  # as in a new process
    compiled_sql.clear()
    for member in members:
        member_license(member)
    assert len(compiled_sql) == 1 and len(members) > 1
