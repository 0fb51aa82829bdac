from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from corps.fields import encrypt
from corps.models import Provider
from tokens.models import Credential

pytestmark = pytest.mark.django_db
ROWS = 10_000


def raw_values() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM tokens_credential ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def rotate(batch: int = 1000) -> str:
    out = io.StringIO()
    call_command("rotate_keys", batch_size=batch, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_key(settings):
    return settings.FIELD_ENCRYPTION_KEYS[0]


@pytest.fixture
def many_credentials(old_key):
    provider = Provider.objects.create(corpid="wwp", secret="provider-secret")
    expires = timezone.now() + timedelta(hours=2)
    Credential.objects.bulk_create(
        [
            Credential(
                key=f"provider:{i}",
                kind=Credential.Kind.PROVIDER,
                provider=provider,
                value=f"token-{i}",
                expires_at=expires,
            )
            for i in range(ROWS)
        ],
        batch_size=2000,
    )
    return provider


def test_ten_thousand_rows_rotate_and_the_old_key_can_go(settings, old_key, many_credentials):
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    output = rotate()
    assert f"tokens.Credential: {ROWS} values re-encrypted" in output
    newest = Fernet(new_key.encode())
    assert all(newest.decrypt(value.encode()) for value in raw_values())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is removed
    values = list(Credential.objects.order_by("id").values_list("value", flat=True))
    assert values == [f"token-{i}" for i in range(ROWS)]
    assert Provider.objects.get().secret == "provider-secret"


def test_a_second_run_has_nothing_left_to_do(settings, old_key, many_credentials):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    rotate()
    before = raw_values()
    assert "Done: 0 values." in rotate()
    assert raw_values() == before


def test_an_interrupted_rotation_resumes(settings, old_key, many_credentials):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    with connection.cursor() as cursor:  # as if a first run had done the first half
        cursor.execute("SELECT id, value FROM tokens_credential ORDER BY id LIMIT %s", [ROWS // 2])
        for pk, value in cursor.fetchall():
            cursor.execute(
                "UPDATE tokens_credential SET value = %s WHERE id = %s",
                [encrypt(value_plain(value)), pk],
            )
    assert f"tokens.Credential: {ROWS // 2} values re-encrypted" in rotate()


def value_plain(token: str) -> str:
    from corps.fields import decrypt

    return decrypt(token)


def test_a_value_no_key_decrypts_stops_the_rotation_with_its_row(settings, old_key):
    provider = Provider.objects.create(corpid="wwp", secret="s")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE corps_provider SET secret = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"x").decode(), provider.pk],
        )
    with pytest.raises(CommandError, match=rf"corps.Provider #{provider.pk}: secret"):
        rotate()


def test_a_bad_batch_size_is_refused():
    with pytest.raises(CommandError, match="batch-size"):
        rotate(batch=0)
