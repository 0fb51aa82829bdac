"""Generated input against the three callback URLs: whatever arrives, never a 5xx.

Two generators: strangers (any id, query and body, unsigned) and senders who hold the Token and
EncodingAESKey (any fields, correctly signed and encrypted, so the input reaches parsing, the
event checks and storage). The number of examples is bounded for CI; raise HYPOTHESIS_EXAMPLES
to search longer. Requests go through Django's test client in-process, which re-raises any
exception a view lets escape.
"""

from __future__ import annotations

import os
import secrets
import time
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.demo import seed_sandbox_tenants
from sandbox.config import load_config
from wecom.xml import Envelope, render

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONFIG = load_config()
SUITE = CONFIG.suites[0]
PROVIDER = CONFIG.provider

# Values that broke parsers before, or sit on a boundary: drawn as often as random text.
SPECIAL = ["9" * 310, "1" * 20, "-1", "0", "1e9", "\x00", "", str(int(time.time()))]
texts = st.one_of(
    st.sampled_from(SPECIAL),
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.from_regex(r"[0-9]{1,400}", fullmatch=True),
)
signed_params = st.fixed_dictionaries(
    {"msg_signature": texts, "timestamp": texts, "nonce": texts}, optional={"echostr": texts}
)
queries = st.one_of(
    signed_params,
    signed_params,
    signed_params,
    st.dictionaries(
        st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr", "x"]), texts, max_size=5
    ),
)
declarations = st.sampled_from(
    ["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="gbk"?>',
     '<?xml version="1.0" encoding="utf-16"?>', '<?xml version="1.0" encoding="nope"?>']
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda declaration, to, encrypted: (
            declaration + f"<xml><ToUserName>{to}</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"
        ).encode("utf-8", "surrogatepass"),
        declarations,
        st.text(max_size=30),
        st.text(max_size=60),
    ),
)
# Each URL with the id it answers to, and others.
ids = st.text(max_size=80)
URLS = {
    "/callbacks/suite/{}/": SUITE.suite_id,
    "/callbacks/data/{}/": SUITE.suite_id,
    "/callbacks/provider/{}/": PROVIDER.corpid,
}


@pytest.fixture
def tenants(db):
    seed_sandbox_tenants(CONFIG)


def _path(template: str, receiver_id: str) -> str:
    return template.format(quote(receiver_id, safe=""))


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("template", list(URLS))
@given(data=st.data(), query=queries, body=bodies)
@FUZZ
def test_strangers_never_get_a_5xx(tenants, template, method, data, query, body):
    valid = URLS[template]
    receiver_id = data.draw(st.one_of(st.just(valid), st.just(valid), st.just(valid), ids))
    client = Client(raise_request_exception=True)
    path = _path(template, receiver_id) + "?" + urlencode(query)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.generic("POST", path, body, content_type="text/xml")
    assert response.status_code < 500, (response.status_code, response.content[:200])


TAGS = ["SuiteId", "InfoType", "TimeStamp", "SuiteTicket", "AuthCode", "AuthCorpId", "ChangeType",
        "UserID", "OpenUserID", "Name", "Department", "Id", "ParentId", "Order", "Status",
        "Gender", "MsgType", "Event", "ToUserName", "FromUserName", "CreateTime", "AgentID",
        "MsgId", "Content", "ServiceCorpId", "RegisterCode", "TagId", "AddUserItems"]  # fmt: skip
KINDS = ["suite_ticket", "create_auth", "change_auth", "cancel_auth", "change_contact",
         "reset_permanent_code", "register_corp", "enter_agent", "text", "event", "x"]  # fmt: skip
values = st.one_of(
    st.sampled_from([*KINDS, "create_user", "update_user", "delete_user", "create_party"]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=80),
    st.just(SUITE.suite_id),
)
documents = st.dictionaries(st.sampled_from(TAGS), values, max_size=12)


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: redeliveries happen
@given(
    fields=documents,
    target=st.sampled_from(["command", "data", "system"]),
    receive_id=st.one_of(st.sampled_from([SUITE.suite_id, PROVIDER.corpid]), st.text(max_size=70)),
)
@FUZZ
def test_signed_senders_never_get_a_5xx(tenants, fields, target, receive_id):
    cipher = PROVIDER.cipher() if target == "system" else SUITE.cipher()
    receiver = PROVIDER.corpid if target == "system" else SUITE.suite_id
    path = {"command": "/callbacks/suite/{}/", "data": "/callbacks/data/{}/",
            "system": "/callbacks/provider/{}/"}[target].format(receiver)  # fmt: skip
    stamp = str(int(time.time()))
    try:
        sealed = cipher.seal(
            render(fields), receive_id, timestamp=stamp, nonce=secrets.token_hex(4)
        )
    except UnicodeEncodeError:  # lone surrogates cannot be sent at all
        return
    body = Envelope(receiver, "", sealed.encrypted).render().encode()
    query = {"msg_signature": sealed.signature, "timestamp": stamp, "nonce": sealed.nonce}
    response = Client(raise_request_exception=True).generic(
        "POST", f"{path}?{urlencode(query)}", body, content_type="text/xml"
    )
    assert response.status_code < 500, (response.status_code, response.content[:200])
