"""CompiledLookup: the bearer authentication's token join, compiled once per process."""

from __future__ import annotations

import pytest

from corps.models import Member
from isvportal.compiled import CompiledLookup
from oauth.api import authentication
from oauth.api.authentication import _member_tokens
from oauth.keys import key_digest
from oauth.models import ApiToken
from tests.oauth.test_api import get, two_corps  # noqa: F401  (the fixture)


def test_a_lookup_builds_what_the_queryset_builds(two_corps):  # noqa: F811
    """The same row, the same related objects loaded with it, the same fields left out."""
    digest = key_digest(two_corps.a_token)
    lookup = CompiledLookup(lambda value: _member_tokens().filter(digest=value))
    found, expected = lookup.get(digest), _member_tokens().get(digest=digest)
    assert found is not None
    assert (found.pk, found.digest, found.expires_at) == (expected.pk, expected.digest,
                                                          expected.expires_at)  # fmt: skip
    assert found.get_deferred_fields() == expected.get_deferred_fields() == set()
    for path in ("member", "member.user", "member.corp", "member.corp.license",
                 "member.corp.suite"):  # fmt: skip
        mine, theirs = found, expected
        for name in path.split("."):
            assert name in mine._state.fields_cache, path  # loaded with the row, not queried
            mine, theirs = getattr(mine, name), getattr(theirs, name)
        assert mine.pk == theirs.pk
        assert mine.get_deferred_fields() == theirs.get_deferred_fields(), path
    assert found.member.corp.suite.get_deferred_fields()  # the suite's secrets stay out
    assert found.member.corp.permanent_code == expected.member.corp.permanent_code  # decrypted


def test_an_unknown_value_finds_nothing(two_corps):  # noqa: F811
    lookup = CompiledLookup(lambda value: _member_tokens().filter(digest=value))
    assert lookup.get(key_digest("no such token")) is None


def test_a_lookup_binds_each_of_several_values(two_corps):  # noqa: F811
    lookup = CompiledLookup(
        lambda corpid, userid: Member.objects.filter(corp__corpid=corpid, userid=userid)
    )
    a, b = two_corps.wecom.corps[0], two_corps.wecom.corps[1]
    for corpid, userid in ((a, "lina"), (b, "yanglei")):
        found = lookup.get(corpid, userid)
        assert found is not None and found == Member.objects.get(corp__corpid=corpid, userid=userid)
    assert lookup.get(a, "yanglei") is None  # B's member, asked in A


def test_the_sql_is_compiled_once(two_corps, client, monkeypatch, compiled_sql):  # noqa: F811
    """After the first request, member requests compile no SQL for the token lookup."""
    compiled = compiled_sql
    lookup = CompiledLookup(lambda value: ApiToken.objects.filter(digest=value))
    for token in (two_corps.a_token, two_corps.b_token, two_corps.a_token):
        assert lookup.get(key_digest(token)) is not None
    assert len(compiled) == 1
    path = "/api/v1/jssdk/config/?url=http://127.0.0.1:8000/p"
    monkeypatch.setattr(authentication._token_by_digest, "_plans", {})  # as in a new process
    for round in range(3):
        compiled.clear()
        assert get(client, path, two_corps.a_token).status_code == 200
        token_sql = [sql for sql in compiled if 'FROM "oauth_apitoken"' in sql]
        assert len(token_sql) == (1 if round == 0 else 0)


def test_a_queryset_must_use_the_value_exactly_once(db):
    lookup = CompiledLookup(lambda value: Member.objects.all())
    with pytest.raises(ValueError, match="exactly once"):
        lookup.get("x")
