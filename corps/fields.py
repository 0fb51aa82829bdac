"""Secrets at rest: a text field stored as a Fernet token under FIELD_ENCRYPTION_KEYS.

The newest key (first) encrypts; every key decrypts, so keys rotate without downtime
(``manage.py rotate_keys`` then re-encrypts rows with the newest key). Reading a value that no
key decrypts raises SecretDecryptionError: ciphertext is never handed out as if it were the
secret. Lookups other than isnull are refused, since equal secrets have unequal ciphertexts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class SecretDecryptionError(RuntimeError):
    """A stored secret does not decrypt with any configured key (tampered, or key removed)."""


@cache
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def keyring() -> MultiFernet:
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def newest_key() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keyring.cache_clear()


def encrypt(value: str) -> str:
    return keyring().encrypt(value.encode()).decode()


def decrypt(token: str, *, where: str = "a secret") -> str:
    try:
        return keyring().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise SecretDecryptionError(
            f"{where} does not decrypt with FIELD_ENCRYPTION_KEYS"
        ) from None


class EncryptedTextField(models.TextField):
    """A secret, encrypted in the database. The empty string stays empty (no secret yet)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value, where=f"{self.model.__name__}.{self.name}")

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"{self.name} is encrypted; it cannot be filtered by {lookup_name}")
        return super().get_lookup(lookup_name)
