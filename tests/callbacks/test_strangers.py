"""The regression corpus: inputs that once answered 5xx (found by a generated run of about
440,000 requests, and by signing odd documents), each now a 4xx with a reason and no row.

Unsigned ones can come from anyone; signed ones from anyone holding the callback Token and
EncodingAESKey (a forger, or a buggy sender) and would be redelivered for ever if they got a 5xx.
"""

from __future__ import annotations

import time

import pytest

from callbacks.models import CallbackEvent
from corps.models import Suite
from wecom.xml import Envelope

NOW = int(time.time())


@pytest.fixture
def stored():
    """The events stored before the test's request (the fixture's own ticket push)."""
    return CallbackEvent.objects.count()


def ticket(portal, **fields):
    return {
        "SuiteId": portal.suite.suite_id,
        "InfoType": "suite_ticket",
        "TimeStamp": int(time.time()),
        "SuiteTicket": "from-the-corpus",
        **fields,
    }


def redeclared(portal, encoding: str, codec: str = "utf-8") -> tuple[dict[str, str], bytes]:
    """A correctly signed envelope whose XML declaration names ``encoding``."""
    params, body = portal.seal(ticket(portal))
    envelope = Envelope.parse(body)
    document = f'<?xml version="1.0" encoding="{encoding}"?>' + envelope.render()
    return params, document.encode(codec)


@pytest.mark.parametrize(
    "path",
    ["/callbacks/suite/ww%00x/", "/callbacks/data/ww%00x/", "/callbacks/provider/ww%00x/"],
)
def test_a_nul_in_a_callback_url_id_is_a_400(portal, stored, path):
    params, body = portal.seal(ticket(portal))
    response = portal.post(path, params, body)
    assert response.status_code == 400 and "control character" in response.text
    assert CallbackEvent.objects.count() == stored


def test_a_timestamp_of_310_digits_is_a_400(portal, stored):
    params, body = portal.seal(ticket(portal))
    response = portal.post(portal.command_path, {**params, "timestamp": "9" * 310}, body)
    assert response.status_code == 400 and "timestamp" in response.text
    assert CallbackEvent.objects.count() == stored


@pytest.mark.parametrize("encoding", ["gbk", "GB2312", "gb18030"])
def test_an_envelope_declared_as_gbk_is_read(portal, encoding):
    params, body = redeclared(portal, encoding, codec="gb18030")
    response = portal.post(portal.command_path, params, body)
    assert (response.status_code, response.text) == (200, "success")
    assert Suite.objects.get(pk=portal.suite.pk).suite_ticket == "from-the-corpus"


@pytest.mark.parametrize("encoding", ["utf-7", "utf-32", "x-klingon", "latin-1"])
def test_an_envelope_in_another_encoding_is_a_400(portal, stored, encoding):
    params, body = redeclared(portal, encoding)
    response = portal.post(portal.command_path, params, body)
    assert response.status_code == 400 and "encoding" in response.text
    assert CallbackEvent.objects.count() == stored


def test_a_utf16_envelope_is_a_400_not_a_503(portal, stored):
    params, body = portal.seal(ticket(portal))
    response = portal.post(portal.command_path, params, body.decode().encode("utf-16"))
    assert response.status_code == 400
    assert CallbackEvent.objects.count() == stored


def test_a_receiveid_with_a_nul_is_refused(portal):
    corp = portal.install(0)
    before = CallbackEvent.objects.count()
    fields = {"ToUserName": corp.corpid, "FromUserName": "lina", "CreateTime": NOW,
              "MsgType": "event", "Event": "enter_agent", "AgentID": 1}  # fmt: skip
    params, body = portal.seal(fields, receive_id=corp.corpid + "\x00", to_user_name=corp.corpid)
    response = portal.post(f"/callbacks/data/{portal.suite.suite_id}/", params, body)
    assert response.status_code == 403
    assert CallbackEvent.objects.count() == before


def contact_change(portal, **fields):
    return {
        "SuiteId": portal.suite.suite_id,
        "AuthCorpId": portal.wecom.corps[0],
        "InfoType": "change_contact",
        "TimeStamp": int(time.time()),
        **fields,
    }


SIGNED_CASES = {
    "a corpid longer than any WeCom id": lambda p: contact_change(
        p, AuthCorpId="w" * 65, ChangeType="delete_user", UserID="lina"
    ),
    "a userid with a NUL-free control character": lambda p: contact_change(
        p, ChangeType="delete_user", UserID="li\x1bna"
    ),
    "a department id past 32 bits": lambda p: contact_change(
        p, ChangeType="create_party", Id=2**40, Name="x"
    ),
    "a negative gender": lambda p: contact_change(
        p, ChangeType="update_user", UserID="lina", Gender=-1
    ),
    "a status past a small integer": lambda p: contact_change(
        p, ChangeType="update_user", UserID="lina", Status=70000
    ),
    "a suite_ticket from the future": lambda p: ticket(p, TimeStamp=int(time.time()) + 3600),
    "a TimeStamp of 2**63": lambda p: ticket(p, TimeStamp=2**63),
    "a negative TimeStamp": lambda p: ticket(p, TimeStamp=-5),
    "an event naming another suite": lambda p: ticket(p, SuiteId="wwanothersuite"),
}


@pytest.mark.parametrize("case", list(SIGNED_CASES), ids=list(SIGNED_CASES))
def test_a_signed_event_no_genuine_sender_makes_is_a_400(portal, case):
    suite_ticket = Suite.objects.get(pk=portal.suite.pk).suite_ticket
    before = CallbackEvent.objects.count()
    params, body = portal.seal(SIGNED_CASES[case](portal))
    response = portal.post(portal.command_path, params, body)
    assert response.status_code == 400, response.text
    assert CallbackEvent.objects.count() == before
    assert Suite.objects.get(pk=portal.suite.pk).suite_ticket == suite_ticket


def test_a_suite_event_on_the_provider_url_is_refused_at_the_door(portal, stored):
    provider = portal.wecom.config.provider
    params, body = portal.seal(ticket(portal), receive_id=provider.corpid, cipher=provider.cipher())
    response = portal.post(f"/callbacks/provider/{provider.corpid}/", params, body)
    assert response.status_code == 400 and "does not belong" in response.text
    assert CallbackEvent.objects.count() == stored


def test_a_system_event_on_the_command_url_is_refused_at_the_door(portal):
    register = {"ServiceCorpId": portal.provider.corpid, "InfoType": "register_corp",
                "TimeStamp": NOW, "RegisterCode": "r", "AuthCorpId": "wwnew"}  # fmt: skip
    params, body = portal.seal(register)
    response = portal.post(portal.command_path, params, body)
    assert response.status_code == 400 and "does not belong" in response.text


@pytest.mark.parametrize(
    "path", ["/api/v1/corp/members/a%00b/", "/api/v1/corps/?edition=%00", "/api/v1/me/?x=%01"]
)
def test_a_control_character_in_an_api_address_is_a_400(portal, path):
    response = portal.http.get(f"{portal.url}{path}", timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_more_query_parameters_than_django_allows_is_a_400(portal, stored, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    params, body = portal.seal(ticket(portal))
    padding = {f"p{n}": "x" for n in range(10)}
    response = portal.post(portal.command_path, {**padding, **params}, body)
    assert response.status_code == 400 and "too many query parameters" in response.text
    assert CallbackEvent.objects.count() == stored


@pytest.mark.parametrize(("first", "last", "status"), [("forged", "signed", 200),
                                                       ("signed", "forged", 403)])  # fmt: skip
def test_a_repeated_query_parameter_is_read_as_its_last_value(portal, first, last, status):
    """As Django's request.GET reads it: the callback's own parse must not differ."""
    params, body = portal.seal(ticket(portal))
    value = {"signed": params["msg_signature"], "forged": "0" * 40}
    query = [("msg_signature", value[first]), ("msg_signature", value[last]),
             ("timestamp", params["timestamp"]), ("nonce", params["nonce"])]  # fmt: skip
    assert portal.post(portal.command_path, query, body).status_code == status
