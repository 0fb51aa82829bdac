"""Safe XML in and out for WeCom's flat ``<xml>…</xml>`` documents.

The outer envelope is parsed before its signature is checked, so parsing refuses any DTD at the
first token: no entity of any kind (external or nested "billion laughs") is ever expanded.
defusedxml's handlers do the refusing, on a bare expat parser that feeds the field builder: its
ElementTree parser would put the pure-Python ``XMLParser`` between them, whose per-element
handlers cost more than the parse itself: a contact event parses in less than half the time.

What WeCom sends is flatter still: an envelope, and most events, are an ``<xml>`` root whose
children each hold one value. Such a document is read by one regular expression
(``_flat_fields``), which accepts only what no XML parser could read differently; everything else,
and every document that declares anything, goes to the guarded parser.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

Fields = Mapping[str, Any]


class MalformedXML(ValueError):
    """The document is not well-formed, carries a DTD or entities, or lacks a required field."""


class _FieldsBuilder:
    """A parser target that builds the read-only field mapping directly, skipping Elements.

    A leaf becomes its text; a parent a read-only mapping; repeated tags a tuple. Text between
    child elements (the newlines of pretty-printed documents) is ignored.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[dict[str, list[Any]], list[str]]] = []
        self._root: Fields = MappingProxyType({})

    def start(self, tag: str, attrib: object) -> None:
        self._stack.append(({}, []))

    def data(self, text: str) -> None:
        self._stack[-1][1].append(text)

    def end(self, tag: str) -> None:
        children, text = self._stack.pop()
        value: Any
        if children:
            value = MappingProxyType(
                {k: v[0] if len(v) == 1 else tuple(v) for k, v in children.items()}
            )
        else:
            value = "".join(text)
        if self._stack:
            self._stack[-1][0].setdefault(tag, []).append(value)
        else:
            self._root = value if isinstance(value, MappingProxyType) else MappingProxyType({})

    def close(self) -> Fields:
        return self._root


# What WeCom, or a Chinese sender in front of it, may declare; read as GB18030, their superset.
_CHINESE = frozenset({"gbk", "gb2312", "gb18030", "cp936"})
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)  # UTF-32 LE too
_DECLARED = re.compile(rb"""\A\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def decode_document(document: bytes) -> str:
    """The text of a document sent as UTF-8 (the default) or declared as GBK and kin.

    Any other declared encoding, a UTF-16/32 byte-order mark, or bytes that are not valid in the
    declared encoding raise MalformedXML: expat would refuse them later with a less useful error
    (or, for a multi-byte codec it lacks, not with a ParseError at all).
    """
    if document.startswith(_WIDE_BOMS):
        raise MalformedXML("only UTF-8 and GBK documents are accepted")
    if document.startswith(codecs.BOM_UTF8):
        document = document[len(codecs.BOM_UTF8) :]
    declared = _DECLARED.match(document[:200])
    name = declared.group(1).decode("ascii", "replace").strip().lower() if declared else "utf-8"
    if name in ("utf-8", "utf8"):
        codec = "utf-8"
    elif name in _CHINESE:
        codec = "gb18030"
    else:
        raise MalformedXML(f"unsupported encoding {name[:20]!r}: send UTF-8 or GBK")
    try:
        return document.decode(codec)
    except UnicodeDecodeError:
        raise MalformedXML(f"the document is not valid {name}") from None


# defusedxml's refusals of a DTD, an entity declaration and an external reference. The handlers
# keep no state, so this one parser's handlers serve every parse; it never parses itself.
_GUARDS = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)


def _guarded_parser(builder: _FieldsBuilder) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _GUARDS.defused_start_doctype_decl
    parser.EntityDeclHandler = _GUARDS.defused_entity_decl
    parser.UnparsedEntityDeclHandler = _GUARDS.defused_unparsed_entity_decl
    # It raises, so the int that expat expects of this handler is never returned.
    parser.ExternalEntityRefHandler = _GUARDS.defused_external_entity_ref_handler  # type: ignore[assignment]
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True  # an element's text in one call, not one per line or CDATA part
    return parser


# A value an XML parser copies as it stands: none of the markup characters ``<`` and ``&``, no
# ``]`` (so no ``]]>``), no carriage return (parsers turn line ends into ``\n``), and none of the
# characters XML forbids. A child is one CDATA section or plain text, under an ASCII name.
# Runs of printable ASCII are matched by a class the regex engine tests with a bitmap (a third
# of the time of the ranges for a 600-character Encrypt); possessive, so a value that does not
# end is given up at once instead of being split every way.
_VERBATIM = (
    r"(?:[ -%'-;=-\\^-~\t\n]++|[^<&\]\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff])*+"
)
_FLAT_CHILD = re.compile(
    rf"[ \t\n]*<([A-Za-z_][A-Za-z0-9_]*)>(?:<!\[CDATA\[({_VERBATIM})\]\]>|({_VERBATIM}))</\1>"
)
_FLAT_END = re.compile(r"[ \t\n]*</xml>[ \t\n]*")
_FLAT_START = "<xml>"


def _flat_fields(document: str) -> Fields | None:
    """The fields of a document that is only ``<xml>`` and children holding a value each (as
    WeCom writes them), as the guarded parser would read them; None for any other document.

    It is safe without a parser's guards: a document that starts with ``<xml>`` declares no
    DTD, so it has no entities, and values with ``&`` are not taken. No parser is created and
    no Python handler is called per element (an event's fields: 102 -> 58 k instructions).
    """
    if not document.startswith(_FLAT_START):
        return None
    fields: dict[str, str] = {}
    position = len(_FLAT_START)
    while child := _FLAT_CHILD.match(document, position):
        tag, cdata, text = child.groups()
        if tag in fields:  # repeated elements become a tuple: the parser's job
            return None
        fields[tag] = cdata if cdata is not None else text
        position = child.end()
    if _FLAT_END.fullmatch(document, position) is None:
        return None
    return MappingProxyType(fields)


def parse_fields(document: str | bytes) -> Fields:
    """Every child of the root element, nested elements included, as a read-only mapping.

    Bytes are decoded first (``decode_document``); a str's own declaration is not consulted.
    """
    if isinstance(document, bytes):
        document = decode_document(document)
    flat = _flat_fields(document)
    return flat if flat is not None else _parsed_fields(document)


def _parsed_fields(document: str) -> Fields:
    """The fields of any document, read by expat behind defusedxml's refusals."""
    builder = _FieldsBuilder()
    try:
        _guarded_parser(builder).Parse(document, True)
    except DefusedXmlException as exc:
        raise MalformedXML(f"forbidden XML construct: {type(exc).__name__}") from None
    except expat.ExpatError as exc:
        raise MalformedXML(f"not well-formed XML: {exc}") from None
    return builder.close()


def _element(tag: str, value: Any) -> str:
    """One element, or one per item of a list or tuple (repeated elements parse back as one)."""
    if isinstance(value, list | tuple):
        return "".join(f"<{tag}>{_render(item)}</{tag}>" for item in value)
    return f"<{tag}>{_render(value)}</{tag}>"


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(value: Any) -> str:
    if isinstance(value, Mapping):
        return "".join(_element(tag, inner) for tag, inner in value.items())
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return _cdata(str(value))


def render(fields: Fields) -> str:
    """WeCom's shape: strings in CDATA, numbers bare, nested mappings as child elements."""
    return "<xml>" + _render(fields) + "</xml>"


@dataclass(frozen=True, slots=True)
class Envelope:
    """The outer document of a POSTed callback; only ``encrypted`` is authenticated."""

    to_user_name: str
    agent_id: str
    encrypted: str

    @classmethod
    def parse(cls, document: str | bytes) -> Envelope:
        fields = parse_fields(document)
        encrypted = fields.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise MalformedXML("envelope has no Encrypt element")
        return cls(
            to_user_name=str(fields.get("ToUserName", "")),
            agent_id=str(fields.get("AgentID", "")),
            encrypted=encrypted,
        )

    def render(self) -> str:
        return render(
            {"ToUserName": self.to_user_name, "AgentID": self.agent_id, "Encrypt": self.encrypted}
        )


def passive_reply(*, encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
    """The encrypted reply a data callback may answer with (API.md §4.4)."""
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(signature)}"
        f"</MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    )
