"""Secrets are encrypted at rest, fail closed, and survive key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from corps.fields import SecretDecryptionError
from corps.models import Provider, Suite

pytestmark = pytest.mark.django_db
SECRETS = {
    "secret": "suite-secret-PLAINTEXT-1",
    "token": "token-PLAINTEXT-2",
    "encoding_aes_key": "Su1teDem0KeyAbCdEfGhIjKlMnOpQrStUvWxYz01234",
    "suite_ticket": "ticket-PLAINTEXT-3",
}


@pytest.fixture
def suite():
    provider = Provider.objects.create(corpid="wwp", secret="provider-PLAINTEXT-0")
    return Suite.objects.create(provider=provider, suite_id="ww1", **SECRETS)


def table_dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return repr(cursor.fetchall())


def test_values_read_back_as_written(suite):
    stored = Suite.objects.get(pk=suite.pk)
    for field, value in SECRETS.items():
        assert getattr(stored, field) == value


def test_a_table_dump_holds_no_plaintext_secret(suite):
    dump = table_dump("corps_suite") + table_dump("corps_provider")
    for value in [*SECRETS.values(), "provider-PLAINTEXT-0"]:
        assert value not in dump
    assert "gAAAAA" in dump  # Fernet tokens


def test_a_tampered_value_raises_instead_of_returning_ciphertext(suite):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE corps_suite SET secret = %s WHERE id = %s",
            ["gAAAAABtamperedtamperedtampered", suite.pk],
        )
    with pytest.raises(SecretDecryptionError, match=r"Suite\.secret"):
        Suite.objects.get(pk=suite.pk)


def test_a_value_from_a_removed_key_raises(suite, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretDecryptionError):
        Suite.objects.get(pk=suite.pk)


def test_values_written_under_an_older_key_still_read(suite, settings):
    old = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old]
    assert Suite.objects.get(pk=suite.pk).secret == SECRETS["secret"]


def test_the_empty_string_means_no_secret_yet(suite):
    suite.suite_ticket = ""
    suite.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT suite_ticket FROM corps_suite WHERE id = %s", [suite.pk])
        assert cursor.fetchone() == ("",)  # stored as the empty string, not as a ciphertext
    assert Suite.objects.get(pk=suite.pk).suite_ticket == ""


def test_secrets_cannot_be_filtered_on(suite):
    with pytest.raises(TypeError, match="encrypted"):
        Suite.objects.filter(secret=SECRETS["secret"]).exists()
    assert Suite.objects.filter(secret__isnull=False).count() == 1
