from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from wecom.xml import (
    Envelope,
    MalformedXML,
    _flat_fields,
    _parsed_fields,
    parse_fields,
    passive_reply,
    render,
)

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


# What an XML parser reads differently from the characters it is made of (entities, CDATA ends,
# line ends, forbidden characters, markup), beside plain characters, two at a time; each pair
# as text, as CDATA and as both.
PIECES = ["", "a", "中", "\U0001f600", " ", "\n", "\t", ">", "]", "]]>", "\r", "\x0b",
          "\x00", "\ufffe", "&amp;", "&#65;", "&e;", "<!-- c -->", "<?pi x?>", "<A/>",
          "<![CDATA["]  # fmt: skip
VALUES = [
    form.format("".join(pair))
    for pair in itertools.product(PIECES, repeat=2)
    for form in ("{}", "<![CDATA[{}]]>", "a<![CDATA[{}]]>")
]
# And around the values: declarations, roots, names, attributes, repetition, text and
# whitespace between elements, what follows the root.
OUTSIDE = [
    "<xml><A>{}</A></xml>",
    "<xml>{}</xml>",
    "<xml><A>{}</A><B>1</B></xml>",
    "<xml><A>{}</A><A>1</A></xml>",
    "<xml>\n<A>{}</A>\n</xml>\n",
    "<xml>\r\n<A>{}</A></xml>",
    "<xml>x<A>{}</A></xml>",
    "<xml><A>{}</B></xml>",
    "<xml><A x='1'>{}</A></xml>",
    "<xml><A >{}</A ></xml>",
    "<xml><a1>{}</a1></xml>",
    "<xml><A>{}</A></xml><xml/>",
    "<xml><A>{}</A></xml>x",
    " <xml><A>{}</A></xml>",
    "\ufeff<xml><A>{}</A></xml>",
    "<?xml version='1.0'?><xml><A>{}</A></xml>",
    "<!DOCTYPE xml><xml><A>{}</A></xml>",
    "<root><A>{}</A></root>",
]

WECOM_SHAPES = OUTSIDE[:3]


def _read(document: str) -> object:
    try:
        return _parsed_fields(document)
    except MalformedXML:
        return "refused"


@pytest.mark.parametrize("outside", OUTSIDE)
def test_the_flat_reading_is_the_parsers_wherever_it_answers(outside):
    """The regular expression answers only where the guarded parser reads the same fields."""
    answered = 0
    for value in VALUES:
        document = outside.format(value)
        flat = _flat_fields(document)
        if flat is not None:
            assert flat == _read(document), repr(document)
            answered += 1
    if outside in WECOM_SHAPES:
        assert answered  # WeCom's own shapes do take the flat path


@given(st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,10}", fullmatch=True), st.text()))
def test_flat_documents_as_rendered_are_read_by_the_flat_reading(fields):
    """WeCom's shape (render's) takes the fast path unless a value holds what it refuses."""
    plain = {k: v for k, v in fields.items() if v.isprintable() and not set(v) & set("<&]")}
    assert _flat_fields(render(plain)) == plain


def test_captured_events_read_the_same_either_way():
    documents = [path.read_text(encoding="utf-8") for path in (FIXTURES / "events").glob("*.xml")]
    assert len(documents) > 20
    flat = 0
    for document in documents:
        assert parse_fields(document) == _parsed_fields(document)
        flat += _flat_fields(document) is not None
    assert flat > len(documents) / 2  # most of what WeCom sends is flat


def test_a_value_that_never_ends_is_given_up_at_once():
    """Possessive matching: without it, 2**60 ways to split the run are tried before the parser
    gets the document (the test would not finish)."""
    document = "<xml><A><![CDATA[" + "a" * 60 + "]" * 2
    assert _flat_fields(document) is None
    with pytest.raises(MalformedXML):
        parse_fields(document)
