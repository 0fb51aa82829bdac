"""What becomes a webhook message: every processed callback event but suite_ticket, the
platform's own events (corps.signals.platform_event), edition changes and the portal's own
app_event notices (license.expiring)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from callbacks.models import CallbackEvent
from corps.models import AuthorizedCorp, Provider, Suite
from webhooks.services import publish
from wecom.events import UnknownEvent

NOT_PUBLISHED = {"suite_ticket"}  # WeCom's heartbeat every 10 minutes, and a secret


def public(value: Any) -> Any:
    """JSON-ready, without secrets: dataclass fields declared ``repr=False`` (suite tickets,
    auth codes, the register flow's contact-sync token, the raw ``fields``) are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: public(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, Mapping):
        return {str(k): public(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [public(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def message_type(event: Any) -> str:
    """The event's kind, with its ChangeType where it has one: change_contact.update_user."""
    change = getattr(event, "change_type", "")
    return f"{event.kind}.{change}" if change else str(event.kind)


def on_event_processed(sender: Any, event: Any, record: CallbackEvent, **kwargs: Any) -> None:
    if event.kind in NOT_PUBLISHED:
        return
    provider = record.provider or (record.suite.provider if record.suite else None)
    if provider is None:
        return
    data = public(event)
    if isinstance(event, UnknownEvent):  # nothing typed: everything that arrived
        data["fields"] = public(event.fields)
    publish(
        provider=provider, type=message_type(event), data=data, suite=record.suite,
        corpid=record.corpid, key=f"callback:{record.pk}",
    )  # fmt: skip


def on_platform_event(
    sender: Any, type: str, provider: Provider, suite: Suite | None, corpid: str,
    data: dict[str, Any], key: str, **kwargs: Any,
) -> None:  # fmt: skip
    publish(provider=provider, type=type, data=data, suite=suite, corpid=corpid, key=key)


def on_edition_changed(
    sender: Any, corp: AuthorizedCorp, before: dict[str, Any], after: dict[str, Any], **kwargs: Any
) -> None:
    publish(
        provider=corp.suite.provider, type="edition.changed",
        data={"before": public(before), "after": public(after)}, suite=corp.suite,
        corpid=corp.corpid,
    )  # fmt: skip


def on_app_event(
    sender: Any, event: Any, corp: AuthorizedCorp | None, record: CallbackEvent | None,
    **kwargs: Any,
) -> None:  # fmt: skip
    """The portal's own notices (record None); callback events arrive through event_processed."""
    if record is not None or corp is None:
        return
    data = public(event)
    publish(
        provider=corp.suite.provider, type=message_type(event), data=data, suite=corp.suite,
        corpid=corp.corpid, key=f"{event.kind}:{corp.pk}:{sorted(data.items())}",
    )  # fmt: skip
