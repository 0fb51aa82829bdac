"""ID conversion, contact search and translation (API-business.md §4): external_userid, tag and
客服 id upgrades, unionid matching, the ID migration's completion and state, the provider's
contact search and its id_translate jobs — with ids that are stable and distinct per suite, as
WeCom's are per provider."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from sandbox import media
from sandbox.errors import ApiError
from sandbox.world import opaque_id

if TYPE_CHECKING:
    from sandbox.api import Call
    from sandbox.world import Corp

MAX_IDS = 1000
MAX_QUERIES = 50
MAX_TRANSLATED_FILES = 20
OPENID_TYPES = {1, 3}
TRANSLATED = re.compile(r"\$(userName|departmentName)=([^$]+)\$")


def new_external_userid(suite_id: str, corpid: str, old: str) -> str:
    digest = hashlib.sha256(f"{suite_id}|{corpid}|{old}".encode()).hexdigest()
    return "wm" + digest[:30]


def _ids(call: Call, name: str) -> list[str]:
    ids = call.body.get(name)
    if not isinstance(ids, list) or not ids:
        raise ApiError(40058, f"{name} is empty")
    if len(ids) > MAX_IDS:
        raise ApiError(40058, f"at most {MAX_IDS} ids in {name}")
    return [str(i) for i in ids]


def get_new_external_userid(call: Call) -> dict[str, Any]:
    old = _ids(call, "external_userid_list")
    items = [{"external_userid": o, "new_external_userid":
              new_external_userid(call.suite_id, call.corpid, o)} for o in old]  # fmt: skip
    return {"items": items}


def groupchat_get_new_external_userid(call: Call) -> dict[str, Any]:
    call.field("chat_id", 40058)
    return get_new_external_userid(call)


def _upgrade(call: Call, name: str, prefix: str, new_name: str) -> dict[str, Any]:
    """Ids of the corp's own (they start with ``prefix``) → the provider's; others invalid."""
    ids = _ids(call, f"{name}_list")
    known = [i for i in ids if i.startswith(prefix)]
    return {
        "items": [
            {name: i, new_name: opaque_id(prefix, call.suite_id, call.corpid, i)} for i in known
        ],
        f"invalid_{name}_list": [i for i in ids if not i.startswith(prefix)],
    }


def external_tagid(call: Call) -> dict[str, Any]:
    return _upgrade(call, "external_tagid", "et", "open_external_tagid")


def open_kfid(call: Call) -> dict[str, Any]:
    return _upgrade(call, "open_kfid", "wk", "new_open_kfid")


def customer_external_userid(provider: str, corpid: str, unionid: str) -> str:
    """The provider-scoped external_userid of a corp's customer."""
    return opaque_id("wm", provider, corpid, unionid)


def unionid_to_external_userid(call: Call) -> dict[str, Any]:
    unionid, _openid = call.field("unionid", 40058), call.field("openid", 40058)
    if call.body.get("subject_type", 0) not in (0, 1):
        raise ApiError(40058, "subject_type must be 0 or 1")
    corp = call.corp()
    if unionid in corp.customers:
        provider = call.sandbox.config.provider.corpid
        return {"external_userid": customer_external_userid(provider, corp.corpid, unionid)}
    return {"pending_id": opaque_id("p", corp.corpid, unionid)}


def unionid_to_external_userid_3rd(call: Call) -> dict[str, Any]:
    """Every corp of the calling suite that has the WeChat user as a customer."""
    unionid, _openid = call.field("unionid", 40058), call.field("openid", 40058)
    only = call.body.get("corpid")
    provider = call.sandbox.config.provider.corpid
    found = []
    for (suite_id, corpid), authorization in call.sandbox.authorizations.items():
        corp = call.sandbox.corp(corpid)
        if suite_id != call.suite_id or not authorization.active or corp is None:
            continue
        if unionid in corp.customers and only in (None, "", corpid):
            found.append(
                {
                    "corpid": corpid,
                    "external_userid": customer_external_userid(provider, corpid, unionid),
                }
            )
    return {"external_userid_info": found}


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


def _corp_and_suite(call: Call, corpid: str) -> tuple[Corp, str]:
    """An authorized corp and a suite of the provider installed there (whose ids it sees)."""
    corp = call.sandbox.corp(corpid)
    assert corp is not None
    suite_id = next(
        s for (s, c), a in call.sandbox.authorizations.items() if c == corpid and a.active
    )
    return corp, suite_id


def _search(call: Call, corpid: str, query: dict[str, Any]) -> dict[str, Any]:
    word = str(query.get("query_word") or "")
    if not word:
        raise ApiError(40058, "missing query_word")
    if len(word) > 64:
        raise ApiError(40058, "query_word is longer than 64 characters")
    query_type = query.get("query_type", 0)
    corp, suite_id = _corp_and_suite(call, corpid)
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


def contact_search(call: Call) -> dict[str, Any]:
    return _search(call, _authorized_corp(call, "auth_corpid"), call.body)


def contact_batchsearch(call: Call) -> dict[str, Any]:
    corpid = _authorized_corp(call, "auth_corpid")
    queries = call.body.get("query_request_list")
    if not isinstance(queries, list) or not 0 < len(queries) <= MAX_QUERIES:
        raise ApiError(40058, f"query_request_list must hold 1 to {MAX_QUERIES} queries")
    if not all(isinstance(q, dict) for q in queries):
        raise ApiError(40058, "invalid parameter. Warning: wrong json format.")
    return {
        "query_result_list": [{"query_request": q, **_search(call, corpid, q)} for q in queries]
    }


def id_translate(call: Call) -> dict[str, Any]:
    """A job that replaces $userName=…$ and $departmentName=…$ in the uploaded files with the
    names; done at once. WeCom answers a PDF; the sandbox answers the text, which tests can read."""
    corpid = _authorized_corp(call, "auth_corpid")
    media_ids = call.body.get("media_id_list")
    if not isinstance(media_ids, list) or not 0 < len(media_ids) <= MAX_TRANSLATED_FILES:
        raise ApiError(40058, f"media_id_list must hold 1 to {MAX_TRANSLATED_FILES} media")
    if len(media_ids) > 1 and not call.body.get("output_file_name"):
        raise ApiError(40058, "missing output_file_name")
    provider = call.sandbox.config.provider.corpid
    files = [media.fetch(call, str(m), provider) for m in media_ids]
    corp, suite_id = _corp_and_suite(call, corpid)

    def name(match: re.Match[str]) -> str:
        kind, key = match.groups()
        if kind == "userName":
            member = call.sandbox.member_by_any_id(suite_id, corp, key)
            return member.name if member else match.group(0)
        department = corp.departments.get(int(key)) if key.isascii() and key.isdigit() else None
        return department.name if department else match.group(0)

    text = "\n".join(TRANSLATED.sub(name, f.content.decode("utf-8", "replace")) for f in files)
    jobid = secrets.token_hex(16)  # an id, not a secret
    call.sandbox.jobs[jobid] = {"type": "contact_id_translate", "text": text}
    return {"jobid": jobid}


def batch_getresult(call: Call) -> dict[str, Any]:
    job = call.sandbox.jobs.get(call.query.get("jobid", ""))
    if job is None:
        raise ApiError(40058, "invalid jobid")
    jobid = call.query["jobid"]
    url = f"{call.sandbox.public_url}/sandbox/translated/{jobid}"
    return {"status": 3, "type": job["type"], "result": {job["type"]: {"url": url}}}


CORP_HANDLERS = {
    "externalcontact/get_new_external_userid": get_new_external_userid,
    "externalcontact/groupchat/get_new_external_userid": groupchat_get_new_external_userid,
    "idconvert/external_tagid": external_tagid,
    "idconvert/open_kfid": open_kfid,
    "idconvert/unionid_to_external_userid": unionid_to_external_userid,
    "corp/get_openid_migration": get_openid_migration,
}
SUITE_HANDLERS = {
    "service/externalcontact/unionid_to_external_userid_3rd": unionid_to_external_userid_3rd,
}
PROVIDER_HANDLERS = {
    "service/finish_openid_migration": (finish_openid_migration, "corpid"),
    "service/contact/search": (contact_search, "auth_corpid"),
    "service/contact/batchsearch": (contact_batchsearch, "auth_corpid"),
    "service/contact/id_translate": (id_translate, "auth_corpid"),
    "service/batch/getresult": (batch_getresult, ""),
    "service/media/upload": (media.provider_upload, ""),
}
