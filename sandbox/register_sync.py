"""The register flow's contact migration (API-business.md §5): register_corp hands the provider a
30-minute contact-sync token; with it the provider sets the installed app's visible scope
(agent/set_scope, only once the app is installed) and unlocks the contacts
(sync/contact_sync_success), which ends the token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.api import Call

LIFETIME = 1800
KIND = "contact_sync"


def _corpid(call: Call) -> str:
    assert call.credential is not None
    return call.credential.owner[0]


def _ids(call: Call, name: str) -> list[Any]:
    value = call.body.get(name) or []
    if not isinstance(value, list):
        raise ApiError(40058, f"{name} must be a list")
    return value


def set_scope(call: Call) -> dict[str, Any]:
    corpid = _corpid(call)
    agentid = call.body.get("agentid")
    installed = [
        a for (_s, c), a in call.sandbox.authorizations.items()
        if c == corpid and a.active and str(a.agentid) == str(agentid)
    ]  # fmt: skip
    if not installed:
        raise ApiError(40056, "invalid agentid: the app is not installed in this corp yet")
    corp = call.sandbox.corp(corpid)
    assert corp is not None
    users, parties, tags = (
        _ids(call, "allow_user"),
        _ids(call, "allow_party"),
        _ids(call, "allow_tag"),
    )
    invalid_users = [u for u in users if u not in corp.members]
    invalid_parties = [p for p in parties if p not in corp.departments]
    installed[0].scope = {
        "allow_user": [u for u in users if u in corp.members],
        "allow_party": [p for p in parties if p in corp.departments],
        "allow_tag": [],
    }
    return {"invaliduser": invalid_users, "invalidparty": invalid_parties, "invalidtag": tags}


def contact_sync_success(call: Call) -> dict[str, Any]:
    assert call.credential is not None
    call.credential.revoked = True  # the token ends with the migration
    corp = call.sandbox.corp(_corpid(call))
    if corp is not None:
        corp.contacts_locked = False
    return {}


HANDLERS = {"agent/set_scope": set_scope, "sync/contact_sync_success": contact_sync_success}
