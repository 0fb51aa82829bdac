"""agent/get: an app as the customer corp has it (API-business.md §2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wecom.client.models import Json


class PublishStatus(IntEnum):
    """customized_publish_status of a 代开发 app."""

    NOT_CREATED = 0
    IN_DEVELOPMENT = 1
    ONLINE = 2
    ONLINE_WITH_UNPUBLISHED_VERSION = 3


@dataclass(frozen=True, slots=True)
class AgentInfo:
    agentid: int
    name: str
    closed: bool  # the corp's admin disabled the app
    home_url: str = ""
    publish_status: PublishStatus | None = None  # 代开发 apps only

    @classmethod
    def from_json(cls, data: Json) -> AgentInfo:
        status = data.get("customized_publish_status")
        return cls(
            agentid=int(data["agentid"]),
            name=str(data.get("name") or ""),
            closed=bool(data.get("close")),
            home_url=str(data.get("home_url") or ""),
            publish_status=None if status is None else PublishStatus(int(status)),
        )
