"""The credential cache is an accelerator that cannot poison: whatever sits under a
credential's cache key (malformed, another credential's entry, or encrypted with keys that are
gone) is a miss, dropped and logged once, and the credential is read again. On the PostgreSQL +
Redis run the cache is the real Redis."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.management import call_command

from tests.conftest import seed_from_sandbox
from tokens.models import Credential
from tokens.services import cache_name, credential_get

Kind = Credential.Kind
CACHE_KEY = "credential:{}"


def dropped_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "credential cache entry dropped"]


@pytest.fixture
def corp(isv):
    corp = isv.install(0)
    corp.refresh_from_db()
    return corp


@pytest.mark.django_db
@pytest.mark.parametrize(
    "entry",
    [
        "not a tuple",
        ("corp:someone-else", "x", 1e12, 1e12, 1e12),
        ("corp:{name}", 42, 1e12, 1e12, 1e12),
        ("corp:{name}", "x", "soon", 1e12, 1e12),
    ],
    ids=["a string", "another credential's entry", "a number for a value", "text for a time"],
)
def test_a_malformed_or_foreign_entry_is_a_miss(corp, entry, caplog):
    value = credential_get(kind=Kind.CORP, owner=corp)
    name = cache_name(Kind.CORP, corp)
    if isinstance(entry, tuple):
        entry = (entry[0].format(name=name), *entry[1:])
    cache.set(CACHE_KEY.format(name), entry)
    assert credential_get(kind=Kind.CORP, owner=corp) == value
    assert len(dropped_warnings(caplog)) == 1


@pytest.mark.django_db
def test_another_credentials_value_is_never_handed_out(isv, corp):
    """Two corps: the second's cache key holding the first's (well-formed) entry is refused,
    because each entry names the credential it belongs to."""
    other = isv.install(1)
    first = credential_get(kind=Kind.CORP, owner=corp)
    entry = cache.get(CACHE_KEY.format(cache_name(Kind.CORP, corp)))
    cache.set(CACHE_KEY.format(cache_name(Kind.CORP, other)), entry)
    assert credential_get(kind=Kind.CORP, owner=other) != first


@pytest.mark.django_db
def test_an_entry_that_no_longer_decrypts_is_dropped_and_logged_once(corp, settings, caplog):
    value = credential_get(kind=Kind.CORP, owner=corp)
    name = cache_name(Kind.CORP, corp)
    old_entry = cache.get(CACHE_KEY.format(name))
    # The row is re-encrypted under a new key (rotate_keys); the cache still holds the old one.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    Credential.objects.filter(kind=Kind.CORP).update(value=value)  # encrypted with the new key
    cache.set(CACHE_KEY.format(name), old_entry)
    assert credential_get(kind=Kind.CORP, owner=corp) == value
    assert credential_get(kind=Kind.CORP, owner=corp) == value
    assert len(dropped_warnings(caplog)) == 1


@pytest.mark.django_db
def test_cache_keys_use_wecom_ids_and_the_deployment_prefix(corp, settings):
    credential_get(kind=Kind.CORP, owner=corp)
    name = cache_name(Kind.CORP, corp)
    assert name == f"corp:{corp.suite.suite_id}:{corp.corpid}"
    assert cache.get(CACHE_KEY.format(name)) is not None
    assert cache.make_key(CACHE_KEY.format(name)).startswith(settings.CACHE_KEY_PREFIX)


def test_a_reset_database_with_new_keys_works_beside_the_old_cache(portal, settings):
    """Run the portal, fill the cache, reset the database and change FIELD_ENCRYPTION_KEYS,
    keep the cache (Redis on the PostgreSQL run): install and sign-in still work."""
    corp = portal.install(0)
    old_token = credential_get(kind=Kind.CORP, owner=corp)
    assert cache.get(CACHE_KEY.format(cache_name(Kind.CORP, corp))) is not None

    call_command("flush", interactive=False, verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    portal.provider, portal.suite = seed_from_sandbox(portal.wecom)
    portal.push_ticket()
    corp = portal.install(0)

    token = credential_get(kind=Kind.CORP, owner=corp)
    assert token != old_token
    code = portal.oauth_code(0, "lina")
    answer = portal.http.post(
        f"{portal.url}/api/v1/auth/sso/",
        json={"suite_id": portal.suite.suite_id, "code": code},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    me = portal.http.get(
        f"{portal.url}/api/v1/me/",
        headers={"Authorization": f"Bearer {answer.json()['token']}"},
        timeout=30,
    )
    assert me.status_code == 200 and me.json()["open_userid"]
