"""What every callback event is made of: typed access to its fields, the base event types
and their common fields. The event modules (``wecom.events``, ``wecom.license_events``) build
on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wecom.xml import Fields, MalformedXML


class InvalidEvent(MalformedXML):
    """Well-formed XML whose fields do not make the event its type names."""


class FieldReader:
    """Typed access to event fields; a missing or mistyped field raises InvalidEvent."""

    __slots__ = ("fields",)

    def __init__(self, fields: Fields) -> None:
        self.fields = fields

    def opt_str(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidEvent(f"{name} must be text")
        return value

    def text(self, name: str, default: str | None = None) -> str:
        value = self.opt_str(name)
        if value is None:
            if default is None:
                raise InvalidEvent(f"missing field {name}")
            return default
        return value

    def opt_int(self, name: str) -> int | None:
        value = self.opt_str(name)
        if value is None or value.strip() == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidEvent(f"{name} must be an integer") from None

    def integer(self, name: str) -> int:
        value = self.opt_int(name)
        if value is None:
            raise InvalidEvent(f"missing field {name}")
        return value

    def opt_ints(self, name: str) -> tuple[int, ...] | None:
        items = self.opt_strs(name)
        if items is None:
            return None
        try:
            return tuple(int(item) for item in items)
        except ValueError:
            raise InvalidEvent(f"{name} must be comma-separated integers") from None

    def opt_strs(self, name: str) -> tuple[str, ...] | None:
        value = self.opt_str(name)
        if value is None:
            return None
        return tuple(item.strip() for item in value.split(",") if item.strip())

    def mapping(self, name: str) -> FieldReader | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise InvalidEvent(f"{name} must contain elements")
        return FieldReader(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Every event: ``kind`` is the dispatch key, ``fields`` everything received."""

    kind: str
    fields: Fields = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteEvent(Event):
    """A command callback (指令回调): SuiteId + InfoType."""

    suite_id: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactEvent(SuiteEvent):
    """A change event with a ChangeType: change_contact (通讯录) or a customer contact change
    (wecom.customer_events). 代开发 apps get them on the data callback, without SuiteId."""

    auth_corpid: str
    change_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemEvent(Event):
    service_corpid: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AppEvent(Event):
    """A message or app event; ``corpid`` is the receiving corp (ToUserName)."""

    corpid: str
    from_user: str
    create_time: int
    agent_id: int | None


ParserEntry = tuple[type[Event], Callable[["FieldReader"], dict[str, Any]]]


def suite_fields(r: FieldReader) -> dict[str, Any]:
    return {"suite_id": r.text("SuiteId"), "timestamp": r.integer("TimeStamp")}


def system_fields(r: FieldReader) -> dict[str, Any]:
    return {"service_corpid": r.text("ServiceCorpId"), "timestamp": r.integer("TimeStamp")}


def app_fields(r: FieldReader) -> dict[str, Any]:
    return {
        "corpid": r.text("ToUserName"),
        "from_user": r.text("FromUserName", ""),
        "create_time": r.integer("CreateTime"),
        "agent_id": r.opt_int("AgentID"),
    }
