"""Answers of the ID conversion, contact search and translation calls (API-business.md §4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wecom.client.models import Json, _strs


@dataclass(frozen=True, slots=True)
class IdMapping:
    """A conversion's answer: each id asked about → its converted id, and the ids WeCom refused.

    Every conversion call answers a list of pairs under its own names; ``reader`` names them."""

    mapping: Mapping[str, str]
    invalid: tuple[str, ...] = ()

    @classmethod
    def reader(
        cls, pairs: str, old: str, new: str, invalid: str = ""
    ) -> Callable[[Json], IdMapping]:
        def read(data: Json) -> IdMapping:
            return cls(
                mapping={str(p[old]): str(p[new]) for p in data.get(pairs) or ()},
                invalid=_strs(data.get(invalid)) if invalid else (),
            )

        return read


@dataclass(frozen=True, slots=True)
class UnionidMatch:
    """idconvert/unionid_to_external_userid: the customer's external_userid when the corp has
    them as a contact, else a pending_id (valid 90 days) to match them later."""

    external_userid: str = ""
    pending_id: str = ""

    @classmethod
    def from_json(cls, data: Json) -> UnionidMatch:
        return cls(
            external_userid=str(data.get("external_userid") or ""),
            pending_id=str(data.get("pending_id") or ""),
        )


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """One query of service/contact/batchsearch (the fields of service/contact/search)."""

    query_word: str
    query_type: int = 0  # 0 members and departments, 1 members, 2 departments
    query_range: int = 0  # 0 active members, 1 also those who left in the last year
    limit: int = 50
    cursor: str = ""

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "query_word": self.query_word, "query_type": self.query_type,
            "query_range": self.query_range, "limit": self.limit,
        }  # fmt: skip
        if self.cursor:
            body["cursor"] = self.cursor
        return body


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
            userids=_strs(user.get("userid")),
            open_userids=_strs(user.get("open_userid")),
            department_ids=tuple(int(d) for d in party.get("department_id") or ()),
            is_last=bool(data.get("is_last", True)),
            next_cursor=str(data.get("next_cursor", "")),
        )

    @classmethod
    def list_from_json(cls, data: Json) -> tuple[ContactSearchPage, ...]:
        """service/contact/batchsearch: one page per query, in the order asked."""
        return tuple(cls.from_json(r) for r in data.get("query_result_list") or ())


@dataclass(frozen=True, slots=True)
class IdTranslateJob:
    """service/batch/getresult of a contact_id_translate job: 1 started, 2 running, 3 done;
    once done, the translated file's URL (valid 24 h, opened by a signed-in user)."""

    status: int
    url: str = ""

    @property
    def done(self) -> bool:
        return self.status == 3

    @classmethod
    def from_json(cls, data: Json) -> IdTranslateJob:
        result = (data.get("result") or {}).get("contact_id_translate") or {}
        return cls(status=int(data["status"]), url=str(result.get("url") or ""))
