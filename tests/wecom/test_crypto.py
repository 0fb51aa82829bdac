from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from wecom.crypto import (
    CallbackCipher,
    InvalidBase64,
    InvalidEncodingAESKey,
    MalformedPlaintext,
    ReceiveIdMismatch,
    SignatureMismatch,
    pkcs7_pad,
    signature,
    validate_encoding_aes_key,
)

# Vector A: the official doc's example (API.md §4.5).
A_TOKEN = "QDG6eK"
A_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
A_RECEIVE_ID = "wx5823bf96d3bd56c7"
A_TIMESTAMP, A_NONCE = "1409659813", "1372623149"
A_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
A_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj"
    "911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06"
    "DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQ"
    "H03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6"
    "BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+"
    "E7Q=="
)
A_MESSAGE = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n"
    "<AgentID>218</AgentID>\n"
    "</xml>"
)

# Vector B: the official Python sample (API.md §4.5).
B_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
B_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
B_RECEIVE_ID = "ww1436e0e65a779aee"
B1_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
B2_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzT"
    "tRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5j"
    "aU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX"
    "3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
B2_MESSAGE = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.fixture
def cipher_a() -> CallbackCipher:
    return CallbackCipher(A_TOKEN, A_KEY)


def raw_encrypt(key: str, plaintext: bytes) -> str:
    """Encrypt arbitrary bytes, bypassing the scheme's framing, to build malformed payloads."""
    aes_key = validate_encoding_aes_key(key)
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


def framed(message: bytes, receive_id: bytes, *, declared: int | None = None) -> bytes:
    length = len(message) if declared is None else declared
    return b"R" * 16 + struct.pack(">I", length) + message + receive_id


class TestOfficialVectors:
    def test_it_opens_vector_a(self, cipher_a):
        message, receive_id = cipher_a.open(
            msg_signature=A_SIGNATURE,
            timestamp=A_TIMESTAMP,
            nonce=A_NONCE,
            encrypted=A_ENCRYPT,
            receive_ids={A_RECEIVE_ID},
        )
        assert message == A_MESSAGE
        assert receive_id == A_RECEIVE_ID

    def test_it_reproduces_vector_a_byte_for_byte(self, cipher_a):
        encrypted = cipher_a.encrypt(A_MESSAGE, A_RECEIVE_ID, random_prefix=b"0960688932c47ef1")
        assert encrypted == A_ENCRYPT
        assert cipher_a.sign(A_TIMESTAMP, A_NONCE, encrypted) == A_SIGNATURE

    def test_vector_a_has_a_pad_above_16(self):
        aes_key = validate_encoding_aes_key(A_KEY)
        decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(A_ENCRYPT)) + decryptor.finalize()
        assert plain[-1] == 30  # a 16-byte unpadder would reject this real WeCom payload

    def test_it_answers_the_url_verification_of_vector_b(self):
        cipher = CallbackCipher(B_TOKEN, B_KEY)
        message, _ = cipher.open(
            msg_signature="012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
            timestamp="1476416373",
            nonce="47744683",
            encrypted=B1_ECHOSTR,
            receive_ids={B_RECEIVE_ID},
        )
        assert message == "1288432023552776189"

    def test_it_opens_and_reproduces_vector_b_post(self):
        cipher = CallbackCipher(B_TOKEN, B_KEY)
        message, receive_id = cipher.open(
            msg_signature="0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
            timestamp="1476422779",
            nonce="1597212914",
            encrypted=B2_ENCRYPT,
            receive_ids={B_RECEIVE_ID},
        )
        assert (message, receive_id) == (B2_MESSAGE, B_RECEIVE_ID)
        assert cipher.encrypt(message, receive_id, random_prefix=b"694ce5a83ae07fe3") == B2_ENCRYPT

    def test_signature_sorts_the_four_values(self):
        assert signature(A_TOKEN, A_TIMESTAMP, A_NONCE, A_ENCRYPT) == A_SIGNATURE
        assert signature(A_TOKEN, A_NONCE, A_TIMESTAMP, A_ENCRYPT) == A_SIGNATURE


@given(message=st.text(), receive_id=st.text())
def test_seal_then_open_round_trips_any_unicode(message, receive_id):
    cipher = CallbackCipher(A_TOKEN, A_KEY)
    sealed = cipher.seal(message, receive_id, timestamp="1700000000", nonce="n0nce")
    opened = cipher.open(
        msg_signature=sealed.signature,
        timestamp=sealed.timestamp,
        nonce=sealed.nonce,
        encrypted=sealed.encrypted,
        receive_ids={receive_id},
    )
    assert opened == (message, receive_id)


@given(size=st.integers(min_value=0, max_value=200))
def test_padding_always_fills_32_byte_blocks(size):
    padded = pkcs7_pad(b"x" * size)
    assert len(padded) % 32 == 0
    assert 1 <= padded[-1] <= 32


class TestFailures:
    def test_a_wrong_signature_is_refused(self, cipher_a):
        with pytest.raises(SignatureMismatch):
            cipher_a.verify("0" * 40, A_TIMESTAMP, A_NONCE, A_ENCRYPT)

    def test_a_tampered_ciphertext_fails_the_signature_before_decrypting(self, cipher_a):
        tampered = "A" + A_ENCRYPT[1:]
        with pytest.raises(SignatureMismatch):
            cipher_a.open(
                msg_signature=A_SIGNATURE,
                timestamp=A_TIMESTAMP,
                nonce=A_NONCE,
                encrypted=tampered,
                receive_ids={A_RECEIVE_ID},
            )

    def test_a_different_token_is_refused(self):
        with pytest.raises(SignatureMismatch):
            CallbackCipher("other", A_KEY).verify(A_SIGNATURE, A_TIMESTAMP, A_NONCE, A_ENCRYPT)

    @pytest.mark.parametrize(
        "key",
        ["", "short", A_KEY[:-1], A_KEY + "A", A_KEY[:-1] + "+", A_KEY[:-1] + "=", None],
    )
    def test_a_bad_encoding_aes_key_is_refused(self, key):
        with pytest.raises(InvalidEncodingAESKey):
            CallbackCipher(A_TOKEN, key)

    @pytest.mark.parametrize("encrypted", ["not base64!", "QUJD=A", "Zm9v\x00"])
    def test_bad_base64_is_refused(self, cipher_a, encrypted):
        with pytest.raises(InvalidBase64):
            cipher_a.decrypt(encrypted)

    def test_a_length_that_is_not_whole_aes_blocks_is_refused(self, cipher_a):
        with pytest.raises(MalformedPlaintext):
            cipher_a.decrypt(base64.b64encode(b"x" * 20).decode())

    def test_an_empty_ciphertext_is_refused(self, cipher_a):
        with pytest.raises(MalformedPlaintext):
            cipher_a.decrypt("")

    @pytest.mark.parametrize(
        "tail",
        [b"\x00" * 32, b"A" * 31 + b"\x21", b"A" * 30 + b"\x05\x04"],
        ids=["pad-zero", "pad-33", "pad-bytes-disagree"],
    )
    def test_bad_padding_is_refused(self, cipher_a, tail):
        plaintext = framed(b"<xml/>", A_RECEIVE_ID.encode()) + b"Z" * 6
        plaintext = plaintext[: len(plaintext) - len(plaintext) % 32] + tail
        with pytest.raises(MalformedPlaintext):
            cipher_a.decrypt(raw_encrypt(A_KEY, plaintext))

    def test_a_full_block_of_padding_is_accepted(self, cipher_a):
        message = "x" * (64 - 20 - len(A_RECEIVE_ID))  # frames to exactly two blocks
        encrypted = cipher_a.encrypt(message, A_RECEIVE_ID)
        assert len(base64.b64decode(encrypted)) == 96
        assert cipher_a.decrypt(encrypted) == (message, A_RECEIVE_ID)

    def test_a_declared_length_beyond_the_buffer_is_refused(self, cipher_a):
        plaintext = pkcs7_pad(framed(b"<xml/>", b"wx1", declared=10_000))
        with pytest.raises(MalformedPlaintext, match="length"):
            cipher_a.decrypt(raw_encrypt(A_KEY, plaintext))

    def test_a_plaintext_shorter_than_its_header_is_refused(self, cipher_a):
        with pytest.raises(MalformedPlaintext):
            cipher_a.decrypt(raw_encrypt(A_KEY, pkcs7_pad(b"short")))

    def test_a_payload_that_is_not_utf8_is_refused(self, cipher_a):
        plaintext = pkcs7_pad(framed(b"\xff\xfe", b"wx1"))
        with pytest.raises(MalformedPlaintext):
            cipher_a.decrypt(raw_encrypt(A_KEY, plaintext))

    def test_a_foreign_receive_id_is_refused(self, cipher_a):
        with pytest.raises(ReceiveIdMismatch):
            cipher_a.open(
                msg_signature=A_SIGNATURE,
                timestamp=A_TIMESTAMP,
                nonce=A_NONCE,
                encrypted=A_ENCRYPT,
                receive_ids={"ww-someone-else"},
            )

    def test_each_failure_has_its_own_type_and_official_code(self):
        types = [
            SignatureMismatch,
            InvalidEncodingAESKey,
            InvalidBase64,
            MalformedPlaintext,
            ReceiveIdMismatch,
        ]
        assert len({t.code for t in types}) == len(types)
        assert SignatureMismatch.code == -40001
        assert ReceiveIdMismatch.code == -40005


def test_the_cipher_never_shows_its_secrets(cipher_a):
    assert A_TOKEN not in repr(cipher_a)
    assert A_KEY not in repr(cipher_a)
