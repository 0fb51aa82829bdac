"""ID conversion and contact search (API-business.md §4): external_userid upgrades, the ID
migration's completion and state, and the provider's contact search — with ids that are stable
and distinct per suite, as WeCom's are per provider."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call

MAX_IDS = 1000
OPENID_TYPES = {1, 3}


def new_external_userid(suite_id: str, corpid: str, old: str) -> str:
    digest = hashlib.sha256(f"{suite_id}|{corpid}|{old}".encode()).hexdigest()
    return "wm" + digest[:30]


def get_new_external_userid(call: Call) -> dict[str, Any]:
    old = call.body.get("external_userid_list") or []
    if not isinstance(old, list) or not old:
        raise ApiError(40058, "external_userid_list is empty")
    if len(old) > MAX_IDS:
        raise ApiError(40058, "at most 1000 external_userids")
    items = [{"external_userid": o, "new_external_userid":
              new_external_userid(call.suite_id, call.corpid, str(o))} for o in old]  # fmt: skip
    return {"items": items}


def get_openid_migration(call: Call) -> dict[str, Any]:
    done = call.sandbox.openid_migrations.get(call.corpid, set())
    return {
        "migration_info": [
            {"openid_type": t, "status": int(t in done)} for t in sorted(OPENID_TYPES)
        ]
    }


def _authorized_corp(call: Call, name: str) -> str:
    corpid = call.field(name, 40058)
    if not any(c == corpid and a.active for (_s, c), a in call.sandbox.authorizations.items()):
        raise ApiError(48001, "api forbidden: the corp has not authorized an app of the provider")
    return corpid


def finish_openid_migration(call: Call) -> dict[str, Any]:
    corpid = _authorized_corp(call, "corpid")
    types = call.body.get("openid_type")
    if not isinstance(types, list) or not types or not set(types) <= OPENID_TYPES:
        raise ApiError(40058, "openid_type must list 1 and/or 3")
    call.sandbox.openid_migrations.setdefault(corpid, set()).update(int(t) for t in types)
    return {}


def contact_search(call: Call) -> dict[str, Any]:
    corpid = _authorized_corp(call, "auth_corpid")
    word = call.field("query_word", 40058)
    if len(word) > 64:
        raise ApiError(40058, "query_word is longer than 64 characters")
    query_type = call.body.get("query_type", 0)
    corp = call.sandbox.corp(corpid)
    assert corp is not None
    suite_id = next(
        s for (s, c), a in call.sandbox.authorizations.items() if c == corpid and a.active
    )
    users = [m for m in corp.members.values() if word in m.name] if query_type in (0, 1) else []
    parties = (
        [d for d in corp.departments.values() if word in d.name] if query_type in (0, 2) else []
    )
    open_ids = [call.sandbox.open_userid(suite_id, corpid, m.userid) for m in users]
    return {
        "query_result": {
            "user": {"userid": [m.userid for m in users], "open_userid": open_ids},
            "party": {"department_id": [d.id for d in parties]},
        },
        "is_last": True,
        "next_cursor": "",
    }


CORP_HANDLERS = {
    "externalcontact/get_new_external_userid": get_new_external_userid,
    "corp/get_openid_migration": get_openid_migration,
}
PROVIDER_HANDLERS = {
    "service/finish_openid_migration": (finish_openid_migration, "corpid"),
    "service/contact/search": (contact_search, "auth_corpid"),
}
