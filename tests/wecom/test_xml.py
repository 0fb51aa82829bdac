from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wecom.xml import Envelope, MalformedXML, parse_fields, passive_reply, render

ENVELOPE = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><AgentID><![CDATA[218]]></AgentID>"
    "<Encrypt><![CDATA[RypEvHKD8QQ==]]></Encrypt></xml>"
)


def test_it_parses_the_envelope():
    envelope = Envelope.parse(ENVELOPE)
    assert envelope == Envelope("wx5823bf96d3bd56c7", "218", "RypEvHKD8QQ==")


def test_an_envelope_without_encrypt_is_refused():
    with pytest.raises(MalformedXML, match="Encrypt"):
        Envelope.parse("<xml><ToUserName>x</ToUserName></xml>")


def test_an_envelope_with_a_dtd_is_refused():
    with pytest.raises(MalformedXML, match="DTDForbidden"):
        Envelope.parse("<!DOCTYPE xml>" + ENVELOPE)


@pytest.mark.parametrize(
    "document",
    [
        '<!DOCTYPE xml SYSTEM "http://example.com/x.dtd"><xml><A>1</A></xml>',
        '<!DOCTYPE xml [<!ENTITY e "x">]><xml><A>&e;</A></xml>',
        '<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>',
        '<!DOCTYPE xml [<!ENTITY e SYSTEM "x" NDATA n>]><xml><A>1</A></xml>',
        '<?xml version="1.0" standalone="no"?><!DOCTYPE xml [<!ENTITY % p "x">]><xml/>',
    ],
)
def test_every_document_type_declaration_is_refused_at_its_first_token(document):
    with pytest.raises(MalformedXML, match="DTDForbidden"):
        parse_fields(document)


def test_an_undeclared_entity_is_not_well_formed():
    with pytest.raises(MalformedXML, match="not well-formed XML: undefined entity"):
        parse_fields("<xml><A>&e;</A></xml>")


@pytest.mark.parametrize("document", ["", "<xml>", "<xml></xm>", "<xml/><xml/>", "<a>\x00</a>"])
def test_a_document_that_is_not_well_formed_is_refused(document):
    with pytest.raises(MalformedXML, match="not well-formed XML"):
        parse_fields(document)


def test_comments_and_processing_instructions_are_ignored():
    document = "<?xml version='1.0'?><!-- x --><xml><?pi x?><A>1<!-- y --></A></xml>"
    assert parse_fields(document) == {"A": "1"}


def test_an_envelope_renders_and_parses_back():
    envelope = Envelope("ww1", "", "abc+/=")
    assert Envelope.parse(envelope.render()) == envelope


@given(st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,10}", fullmatch=True), st.text()))
def test_rendered_fields_parse_back_unchanged(fields):
    printable = {k: v for k, v in fields.items() if v.isprintable() and "\r" not in v}
    assert dict(parse_fields(render(printable))) == printable


def test_cdata_terminators_inside_values_survive():
    assert parse_fields(render({"Content": "a]]>b"}))["Content"] == "a]]>b"


def test_numbers_render_bare_and_nested_mappings_as_elements():
    document = render({"TimeStamp": 1, "ContactSync": {"ExpiresIn": 1800}})
    assert document == (
        "<xml><TimeStamp>1</TimeStamp><ContactSync><ExpiresIn>1800</ExpiresIn></ContactSync></xml>"
    )


def test_repeated_elements_become_a_tuple():
    fields = parse_fields("<xml><L><Item>a</Item><Item>b</Item></L></xml>")
    assert fields["L"]["Item"] == ("a", "b")


def test_the_passive_reply_has_wecoms_shape():
    reply = passive_reply(encrypted="ENC", signature="SIG", timestamp="123", nonce="N")
    assert parse_fields(reply) == {
        "Encrypt": "ENC",
        "MsgSignature": "SIG",
        "TimeStamp": "123",
        "Nonce": "N",
    }
