"""Every bad input gets a 4xx with a reason, changes nothing, and the next good one works."""

from __future__ import annotations

import base64
import struct
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from callbacks.models import CallbackEvent
from wecom.crypto import pkcs7_pad, signature, validate_encoding_aes_key

TICKET = "<xml><SuiteId>{suite}</SuiteId><InfoType>suite_ticket</InfoType><TimeStamp>{ts}</TimeStamp><SuiteTicket>fresh</SuiteTicket></xml>"  # noqa: E501


def ticket_xml(portal) -> str:
    return TICKET.format(suite=portal.suite.suite_id, ts=int(time.time()))


def raw_envelope(portal, encrypted: str) -> tuple[dict[str, str], bytes]:
    """An envelope around arbitrary ciphertext, correctly signed for it."""
    stamp = str(int(time.time()))
    sig = signature(portal.wecom.suite.token, stamp, "n0nce", encrypted)
    body = (
        f"<xml><ToUserName>{portal.suite.suite_id}</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"
    )
    return {"msg_signature": sig, "timestamp": stamp, "nonce": "n0nce"}, body.encode()


def encrypt_raw(portal, plaintext: bytes) -> str:
    key = validate_encoding_aes_key(portal.wecom.suite.encoding_aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


def case_wrong_signature(portal):
    params, body = portal.seal(ticket_xml(portal))
    return {**params, "msg_signature": "f" * 40}, body


def case_old_timestamp(portal):
    return portal.seal(ticket_xml(portal), timestamp=int(time.time()) - 3600)


def case_future_timestamp(portal):
    return portal.seal(ticket_xml(portal), timestamp=int(time.time()) + 3600)


def case_receiveid_mismatch(portal):
    return portal.seal(ticket_xml(portal), receive_id="wwsomeoneelse")


def case_bad_base64(portal):
    return raw_envelope(portal, "not*base64*at*all")


def case_bad_padding(portal):
    frame = b"R" * 16 + struct.pack(">I", 6) + b"<xml/>" + portal.suite.suite_id.encode()
    plaintext = frame + b"\x00" * (32 - len(frame) % 32)
    return raw_envelope(portal, encrypt_raw(portal, plaintext))


def case_length_overflow(portal):
    frame = b"R" * 16 + struct.pack(">I", 99999) + b"<xml/>" + portal.suite.suite_id.encode()
    return raw_envelope(portal, encrypt_raw(portal, pkcs7_pad(frame)))


def case_malformed_envelope(portal):
    params, _ = portal.seal(ticket_xml(portal))
    return params, b"<xml><Encrypt>abc</xml>"


def case_xxe_envelope(portal):
    params, _ = portal.seal(ticket_xml(portal))
    body = (
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>'
    )
    return params, body


def case_entity_expansion(portal):
    params, _ = portal.seal(ticket_xml(portal))
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "ha"}">' for i in range(8))
    return params, f"<!DOCTYPE xml [{entities}]><xml><Encrypt>&e7;</Encrypt></xml>".encode()


def case_malformed_inner_xml(portal):
    return portal.seal("<xml><SuiteId>unterminated")


def case_inner_xxe(portal):
    return portal.seal(
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><InfoType>&x;</InfoType></xml>'
    )


def case_invalid_event(portal):
    return portal.seal("<xml><SuiteId>ww</SuiteId><InfoType>suite_ticket</InfoType></xml>")


def case_missing_parameters(portal):
    _, body = portal.seal(ticket_xml(portal))
    return {}, body


CASES = {
    "wrong signature": (case_wrong_signature, 403),
    "old timestamp": (case_old_timestamp, 400),
    "future timestamp": (case_future_timestamp, 400),
    "receiveid mismatch": (case_receiveid_mismatch, 403),
    "bad base64": (case_bad_base64, 400),
    "bad padding": (case_bad_padding, 400),
    "declared length past the buffer": (case_length_overflow, 400),
    "malformed envelope": (case_malformed_envelope, 400),
    "XXE in the envelope": (case_xxe_envelope, 400),
    "entity expansion": (case_entity_expansion, 400),
    "malformed inner XML": (case_malformed_inner_xml, 400),
    "XXE in the inner XML": (case_inner_xxe, 400),
    "an event missing its fields": (case_invalid_event, 400),
    "missing parameters": (case_missing_parameters, 400),
}


def assert_next_good_callback_works(portal):
    params, body = portal.seal(ticket_xml(portal))
    response = portal.post(portal.command_path, params, body)
    assert (response.status_code, response.text) == (200, "success")
    portal.suite.refresh_from_db()
    assert portal.suite.suite_ticket == "fresh"


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(portal, case, caplog):
    make, status = CASES[case]
    before = CallbackEvent.objects.count()
    params, body = make(portal)
    response = portal.post(portal.command_path, params, body)
    assert response.status_code == status, response.text
    assert response.text  # the reason
    assert CallbackEvent.objects.count() == before
    assert any(r.message == "callback rejected" for r in caplog.records)
    assert_next_good_callback_works(portal)


def test_a_body_over_64_kb_is_refused_without_being_read(portal):
    params, _ = portal.seal(ticket_xml(portal))
    response = portal.post(portal.command_path, params, b"<xml>" + b"a" * (65 * 1024) + b"</xml>")
    assert response.status_code == 413 and "65536" in response.text
    assert_next_good_callback_works(portal)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/callbacks/suite/wwnosuch/", "Unknown suite"),
        ("/callbacks/data/wwnosuch/", "Unknown suite"),
        ("/callbacks/provider/wwnosuch/", "Unknown provider"),
    ],
)
def test_an_unknown_receiver_is_a_404(portal, path, reason):
    params, body = portal.seal(ticket_xml(portal))
    response = portal.post(path, params, body)
    assert response.status_code == 404 and reason in response.text


def test_a_data_callback_from_a_corp_that_never_installed_is_refused(portal):
    corpid = portal.wecom.corps[2]
    params, body = portal.seal(
        {"ToUserName": corpid, "FromUserName": "u", "CreateTime": int(time.time()),
         "MsgType": "event", "Event": "enter_agent", "AgentID": 1},
        receive_id=corpid, to_user_name=corpid,
    )  # fmt: skip
    response = portal.post(f"/callbacks/data/{portal.suite.suite_id}/", params, body)
    assert response.status_code == 403


def test_other_methods_are_refused(portal):
    response = portal.http.delete(f"{portal.url}{portal.command_path}", timeout=10)
    assert response.status_code == 405
