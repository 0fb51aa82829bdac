"""The credential cache: an accelerator that can never be a source of failure.

Entries are kept encrypted under the owner's natural key (``corp:<suite_id>:<corpid>``, not a
primary key that a restored database hands to another tenant) within the deployment's
``CACHE_KEY_PREFIX``. Each entry repeats its own name, so it can be checked on the way out. An
entry that is missing, malformed, does not decrypt (the keys changed) or belongs to another name
is a miss: it is dropped, logged once, and the credential is read again from the database or
upstream. A cache that is down is a miss too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

from corps.fields import SecretDecryptionError, decrypt, encrypt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cached:
    value: str
    expires: float
    renew: float
    usable_until: float


def _cache_key(name: str) -> str:
    return f"credential:{name}"


def _unavailable(exc: Exception) -> None:
    log.warning("credential cache unavailable", extra={"error": type(exc).__name__})


def _drop(name: str, reason: str) -> None:
    log.warning("credential cache entry dropped", extra={"credential": name, "reason": reason})
    forget(name)


def _well_formed(name: str, entry: object) -> bool:
    if not isinstance(entry, tuple) or len(entry) != 5:
        return False
    stored_name, ciphertext, *times = entry
    return (
        stored_name == name
        and isinstance(ciphertext, str)
        and all(isinstance(t, int | float) for t in times)
    )


def read(name: str) -> Cached | None:
    """The cached credential, or None: missing, unreadable and foreign entries alike."""
    try:
        entry = cache.get(_cache_key(name))
    except Exception as exc:  # a cache outage degrades to database reads
        _unavailable(exc)
        return None
    if entry is None:
        return None
    if not _well_formed(name, entry):
        _drop(name, "malformed or another credential's entry")
        return None
    _name, ciphertext, expires, renew, usable_until = entry
    try:
        value = decrypt(ciphertext, where="a cached credential")
    except SecretDecryptionError:
        _drop(name, "does not decrypt with FIELD_ENCRYPTION_KEYS")
        return None
    return Cached(value, float(expires), float(renew), float(usable_until))


def write(name: str, value: str, *, expires: float, renew: float, usable_until: float) -> None:
    """Keep the value until it is due for renewal."""
    ttl = min(renew, usable_until) - time.time()
    if not value or ttl <= 1:
        return
    entry = (name, encrypt(value), expires, renew, usable_until)
    try:
        cache.set(_cache_key(name), entry, timeout=int(ttl))
    except Exception as exc:
        _unavailable(exc)


def forget(name: str) -> None:
    try:
        cache.delete(_cache_key(name))
    except Exception as exc:
        _unavailable(exc)
