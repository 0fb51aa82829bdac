"""WeCom's callback crypto scheme (API.md §4.2): SHA-1 signatures and AES-256-CBC payloads.

A payload is ``random(16) + len(msg) as uint32 BE + msg + receiveid``, PKCS#7-padded to 32-byte
blocks (pad values 1..32, unlike the 16-byte unpadders most libraries ship), encrypted with the
32-byte key decoded from the 43-character EncodingAESKey and the key's first 16 bytes as IV.

Callers must verify the signature before decrypting (``CallbackCipher.open`` does), so malformed
padding is never observable by an unauthenticated sender.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Collection
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE = 32
RANDOM_PREFIX_SIZE = 16
_LENGTH = struct.Struct(">I")
_HEADER_SIZE = RANDOM_PREFIX_SIZE + _LENGTH.size
_ENCODING_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")


class CallbackCryptoError(ValueError):
    """Base of every callback crypto failure; ``code`` is the official library's return code."""

    code = -40000


class SignatureMismatch(CallbackCryptoError):
    """msg_signature does not match token, timestamp, nonce and the ciphertext."""

    code = -40001


class InvalidEncodingAESKey(CallbackCryptoError):
    """The EncodingAESKey is not 43 characters of [A-Za-z0-9]."""

    code = -40004


class ReceiveIdMismatch(CallbackCryptoError):
    """The receiveid inside the ciphertext is not one this endpoint accepts."""

    code = -40005


class InvalidBase64(CallbackCryptoError):
    """The ciphertext is not valid base64."""

    code = -40010


class MalformedPlaintext(CallbackCryptoError):
    """Bad PKCS#7 padding, a declared length that does not fit, or a payload that is not UTF-8."""

    code = -40008


def validate_encoding_aes_key(encoding_aes_key: str) -> bytes:
    """Return the 32-byte AES key for an EncodingAESKey, or raise InvalidEncodingAESKey."""
    if not isinstance(encoding_aes_key, str) or not _ENCODING_AES_KEY.fullmatch(encoding_aes_key):
        raise InvalidEncodingAESKey("EncodingAESKey must be 43 characters of [A-Za-z0-9]")
    return base64.b64decode(encoding_aes_key + "=")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """SHA-1 over the four values sorted lexicographically and concatenated, lower-case hex."""
    joined = "".join(sorted((token, str(timestamp), str(nonce), encrypted)))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def pkcs7_pad(data: bytes) -> bytes:
    pad = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([pad]) * pad


def pkcs7_unpad(data: bytes) -> bytes:
    if not data or len(data) % 16:
        raise MalformedPlaintext("ciphertext length is not a positive multiple of the AES block")
    pad = data[-1]
    if not 1 <= pad <= BLOCK_SIZE or pad > len(data) or data[-pad:] != bytes([pad]) * pad:
        raise MalformedPlaintext("invalid PKCS#7 padding")
    return data[:-pad]


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted message with the signature that authenticates it."""

    encrypted: str
    signature: str
    timestamp: str
    nonce: str


class CallbackCipher:
    """Signs, verifies, encrypts and decrypts for one (Token, EncodingAESKey) pair."""

    __slots__ = ("_algorithm", "_mode", "_token")

    def __init__(self, token: str, encoding_aes_key: str) -> None:
        key = validate_encoding_aes_key(encoding_aes_key)
        self._token = token
        self._algorithm = algorithms.AES(key)
        self._mode = modes.CBC(key[:16])

    def __repr__(self) -> str:
        return "CallbackCipher(token=***, encoding_aes_key=***)"

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self._token, timestamp, nonce, encrypted)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.sign(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), str(msg_signature).lower().encode()):
            raise SignatureMismatch("msg_signature does not match")

    def _aes(self) -> Cipher[modes.CBC]:
        return Cipher(self._algorithm, self._mode)

    def encrypt(self, message: str, receive_id: str, *, random_prefix: bytes | None = None) -> str:
        """Encrypt ``message`` for ``receive_id``; ``random_prefix`` exists for test vectors."""
        prefix = secrets.token_bytes(RANDOM_PREFIX_SIZE) if random_prefix is None else random_prefix
        if len(prefix) != RANDOM_PREFIX_SIZE:
            raise ValueError("random_prefix must be 16 bytes")
        body = message.encode("utf-8")
        plain = pkcs7_pad(prefix + _LENGTH.pack(len(body)) + body + receive_id.encode("utf-8"))
        encryptor = self._aes().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> tuple[str, str]:
        """Return ``(message, receive_id)``. Does not authenticate: use ``open`` on input."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidBase64("ciphertext is not valid base64") from None
        if not raw or len(raw) % 16:
            raise MalformedPlaintext("ciphertext length is not a positive multiple of 16")
        decryptor = self._aes().decryptor()
        plain = pkcs7_unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < _HEADER_SIZE:
            raise MalformedPlaintext("plaintext shorter than its header")
        (length,) = _LENGTH.unpack_from(plain, RANDOM_PREFIX_SIZE)
        end = _HEADER_SIZE + length
        if end > len(plain):
            raise MalformedPlaintext("declared message length exceeds the plaintext")
        try:
            return plain[_HEADER_SIZE:end].decode("utf-8"), plain[end:].decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPlaintext("plaintext is not UTF-8") from None

    def open(
        self,
        *,
        msg_signature: str,
        timestamp: str,
        nonce: str,
        encrypted: str,
        receive_ids: Collection[str],
    ) -> tuple[str, str]:
        """Verify, decrypt and check the receiveid; return ``(message, receive_id)``."""
        self.verify(msg_signature, timestamp, nonce, encrypted)
        message, receive_id = self.decrypt(encrypted)
        if receive_id not in receive_ids:
            raise ReceiveIdMismatch("receiveid is not accepted by this endpoint")
        return message, receive_id

    def seal(self, message: str, receive_id: str, *, timestamp: str, nonce: str) -> Sealed:
        """Encrypt and sign, as WeCom does before pushing a callback."""
        encrypted = self.encrypt(message, receive_id)
        return Sealed(encrypted, self.sign(timestamp, nonce, encrypted), timestamp, nonce)
