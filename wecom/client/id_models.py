"""Answers of the ID conversion and contact search calls (API-business.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wecom.client.models import Json


@dataclass(frozen=True, slots=True)
class ExternalUseridUpgrade:
    """get_new_external_userid: old external_userid → the provider-scoped one."""

    mapping: Mapping[str, str]

    @classmethod
    def from_json(cls, data: Json) -> ExternalUseridUpgrade:
        items = data.get("items") or ()
        return cls(
            mapping={str(i["external_userid"]): str(i["new_external_userid"]) for i in items}
        )


@dataclass(frozen=True, slots=True)
class ContactSearchPage:
    """service/contact/search: matching members (as userid and open_userid) and departments."""

    userids: tuple[str, ...] = ()
    open_userids: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()
    is_last: bool = True
    next_cursor: str = ""

    @classmethod
    def from_json(cls, data: Json) -> ContactSearchPage:
        result = data.get("query_result") or {}
        user = result.get("user") or {}
        party = result.get("party") or {}
        return cls(
            userids=tuple(str(u) for u in user.get("userid") or ()),
            open_userids=tuple(str(u) for u in user.get("open_userid") or ()),
            department_ids=tuple(int(d) for d in party.get("department_id") or ()),
            is_last=bool(data.get("is_last", True)),
            next_cursor=str(data.get("next_cursor", "")),
        )
