"""Safe XML in and out for WeCom's flat ``<xml>…</xml>`` documents.

The outer envelope is parsed before its signature is checked, so parsing refuses any DTD at the
first token: no entity of any kind (external or nested "billion laughs") is ever expanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

Fields = Mapping[str, Any]


class MalformedXML(ValueError):
    """The document is not well-formed, carries a DTD or entities, or lacks a required field."""


def parse(document: str | bytes) -> Element:
    try:
        return fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedXML(f"forbidden XML construct: {type(exc).__name__}") from None
    except ParseError as exc:
        raise MalformedXML(f"not well-formed XML: {exc}") from None


def _freeze(element: Element) -> Any:
    """A leaf becomes its text; a parent a read-only mapping; repeated tags a tuple."""
    if not len(element):
        return element.text or ""
    grouped: dict[str, list[Any]] = {}
    for child in element:
        grouped.setdefault(child.tag, []).append(_freeze(child))
    return MappingProxyType(
        {tag: values[0] if len(values) == 1 else tuple(values) for tag, values in grouped.items()}
    )


def parse_fields(document: str | bytes) -> Fields:
    """Every child of the root element, nested elements included, as a read-only mapping."""
    fields = _freeze(parse(document))
    return fields if isinstance(fields, Mapping) else MappingProxyType({})


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(value: Any) -> str:
    if isinstance(value, Mapping):
        return "".join(f"<{tag}>{_render(inner)}</{tag}>" for tag, inner in value.items())
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
