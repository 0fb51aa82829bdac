"""The licence endpoints (``license/*`` and ``service/get_account_balance``, provider token),
answered from the sandbox's LicenseBook with WeCom's rules and 701xxx codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.engine import ApiError, Authorization, Sandbox
from sandbox.licensing import BASE, DAY, TRIAL_DAYS, ActiveCode
from sandbox.world import Corp

if TYPE_CHECKING:
    from sandbox.api import Call

MAX_BATCH = 1000


def installed(sandbox: Sandbox, corpid: str) -> Authorization:
    """The corp's install of one of the provider's apps (701015 if it has none)."""
    found = [a for (_s, c), a in sandbox.authorizations.items() if c == corpid and a.active]
    if not found:
        raise ApiError(701015, "the corp has not authorized an app of the provider")
    return found[0]


def trial_end(authorization: Authorization) -> float | None:
    """Test installs get no trial."""
    if authorization.auth_type == 1:
        return None
    return authorization.installed_at + TRIAL_DAYS * DAY


def licensed(sandbox: Sandbox, authorization: Authorization, userid: str) -> bool:
    """May this member use the app: inside the trial, or holding a valid base account."""
    now = sandbox.now()
    end = trial_end(authorization)
    if end is not None and now < end:
        return True
    return sandbox.licenses.held(authorization.corpid, userid, BASE, now) is not None


def _corp(call: Call, name: str = "corpid") -> tuple[Corp, Authorization]:
    corpid = call.field(name, 40058)
    corp = call.sandbox.corp(corpid)
    if corp is None:
        raise ApiError(40013, "invalid corpid")
    return corp, installed(call.sandbox, corpid)


def _member(call: Call, corp: Corp, authorization: Authorization, userid: str) -> str:
    member = call.sandbox.member_by_any_id(authorization.suite_id, corp, userid)
    if member is None:
        raise ApiError(701019, "invalid userid, or a member of another corp")
    return member.userid


def _holder(call: Call, corp: Corp, authorization: Authorization, userid: str) -> str:
    """A member who holds (or held) an account: one who has left the corp still counts, as
    their account is what a transfer hands over."""
    if call.sandbox.member_by_any_id(authorization.suite_id, corp, userid) is not None:
        return _member(call, corp, authorization, userid)
    for code in call.sandbox.licenses.of_corp(corp.corpid):
        if userid in (
            code.userid,
            _open(call, authorization, code.userid),
        ):
            return code.userid
    raise ApiError(701019, "invalid userid, or a member of another corp")


def _open(call: Call, authorization: Authorization, userid: str) -> str:
    return call.sandbox.open_userid(authorization.suite_id, authorization.corpid, userid)


def _code_json(call: Call, code: ActiveCode) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "active_code": code.code,
        "type": code.type,
        "status": code.status,
        "create_time": code.create_time,
    }
    if code.userid:
        answer["userid"] = _open(call, installed(call.sandbox, code.corpid), code.userid)
        answer["active_time"], answer["expire_time"] = code.active_time, code.expire_time
    if code.merged_into:
        answer["merge_info"] = {"to_active_code": code.merged_into}
    return answer


def _count(call: Call, name: str) -> int:
    try:
        return int((call.body.get("account_count") or {}).get(name, 0))
    except (TypeError, ValueError):
        raise ApiError(40058, f"account_count.{name} must be an integer") from None


def create_new_order(call: Call) -> dict[str, Any]:
    _found, authorization = _corp(call)
    duration = call.body.get("account_duration") or {}
    try:
        months, days = int(duration.get("months", 0)), int(duration.get("days", 0))
    except (TypeError, ValueError):
        raise ApiError(40058, "account_duration must hold integers") from None
    buyer = _buyer(call, "buyer_userid", 701166)
    order = call.sandbox.licenses.new_order(
        corpid=authorization.corpid, test_corp=authorization.auth_type == 1,
        base=_count(call, "base_count"), interop=_count(call, "external_contact_count"),
        months=months, days=days, buyer=buyer, now=call.sandbox.now(),
    )  # fmt: skip
    return {"order_id": order.order_id}


def get_order(call: Call) -> dict[str, Any]:
    return {"order": call.sandbox.licenses.order(call.field("order_id", 40058)).as_json()}


def list_order(call: Call) -> dict[str, Any]:
    corpid = str(call.body.get("corpid", ""))
    orders = [o for o in call.sandbox.licenses.orders.values() if not corpid or o.corpid == corpid]
    return _paged(call, [{"order_id": o.order_id, "order_type": o.order_type} for o in orders],
                  "order_list")  # fmt: skip


def _paged(call: Call, rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    try:
        start = int(call.body.get("cursor") or 0)
        limit = min(int(call.body.get("limit") or 500), MAX_BATCH)
    except (TypeError, ValueError):
        raise ApiError(40058, "invalid cursor or limit") from None
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return {key: page, "has_more": int(more), "next_cursor": str(start + limit) if more else ""}


def list_order_account(call: Call) -> dict[str, Any]:
    order = call.sandbox.licenses.order(
        str(call.body.get("order_id") or call.body.get("sub_order_id") or "")
    )
    if order.renewals:
        authorization = installed(call.sandbox, order.corpid)
        rows = [{"userid": _open(call, authorization, u), "type": t} for u, t in order.renewals]
    else:
        codes = [call.sandbox.licenses.codes[c] for c in order.codes]
        rows = [{"active_code": c.code, "type": c.type} for c in codes]
    return _paged(call, rows, "account_list")


def _buyer(call: Call, name: str, refusal: int) -> str:
    buyer = call.field(name, 40058)
    if buyer not in call.sandbox.provider_corp.members:
        raise ApiError(refusal, "the operator lacks the purchase right")
    return buyer


def _list(call: Call, name: str, most: int) -> list[dict[str, Any]]:
    items = call.body.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ApiError(40058, f"{name} must be a list of objects")
    if not items:
        raise ApiError(701025, "the list is empty")
    if len(items) > most:
        raise ApiError(701026, "the list is too long")
    return items


def create_renew_order_job(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    accounts, invalid = [], []
    for item in _list(call, "account_list", MAX_BATCH):
        member = call.sandbox.member_by_any_id(
            authorization.suite_id, corp, str(item.get("userid"))
        )
        kind = item.get("type")
        if member is None or kind not in (1, 2):
            invalid.append({"userid": item.get("userid"), "type": kind, "errcode": 701019,
                            "errmsg": "invalid userid or type"})  # fmt: skip
        else:
            accounts.append((member.userid, int(kind)))
    jobid, refused = call.sandbox.licenses.renew_job_add(
        corp.corpid, accounts, str(call.body.get("jobid") or ""), call.sandbox.now()
    )
    invalid += [{"userid": _open(call, authorization, u), "type": t, "errcode": 701004,
                 "errmsg": "the member has no account of that type to renew"}
                for u, t in refused]  # fmt: skip
    return {"jobid": jobid, "invalid_account_list": invalid}


def submit_order_job(call: Call) -> dict[str, Any]:
    duration = call.body.get("account_duration") or {}
    try:
        months = int(duration.get("months") or 0)
        new_expire_time = (
            int(duration["new_expire_time"]) if duration.get("new_expire_time") else None
        )
    except (TypeError, ValueError):
        raise ApiError(40058, "account_duration must hold integers") from None
    order = call.sandbox.licenses.renew_job_submit(
        call.field("jobid", 40058), _buyer(call, "buyer_userid", 701166), months,
        new_expire_time, call.sandbox.now(),
    )  # fmt: skip
    return {"order_id": order.order_id}


def _buy_item(call: Call, item: dict[str, Any], seen: set[str]) -> dict[str, Any]:
    """One corp of a multi-corp order, checked as WeCom checks it."""
    corpid = str(item.get("corpid", ""))
    count, duration = item.get("account_count") or {}, item.get("account_duration") or {}
    try:
        base, interop = int(count.get("base_count", 0)), int(count.get("external_contact_count", 0))
        months, days = int(duration.get("months", 0)), int(duration.get("days", 0))
    except (TypeError, ValueError):
        raise ApiError(40058, "account_count and account_duration hold integers") from None
    if installed(call.sandbox, corpid).auth_type == 1:
        raise ApiError(701121, "a test corp cannot be in a multi-corp order")
    if corpid in seen:
        raise ApiError(701124, "duplicate corpid")
    if base < 0 or interop < 0 or base + interop == 0 or not 31 <= months * 31 + days <= 1860:
        raise ApiError(40058, "invalid account_count or account_duration")
    seen.add(corpid)
    return {"corpid": corpid, "base": base, "interop": interop, "months": months, "days": days}


def create_new_order_job(call: Call) -> dict[str, Any]:
    items, invalid, seen = [], [], set[str]()
    for item in _list(call, "buy_list", 10):
        try:
            items.append(_buy_item(call, item, seen))
        except ApiError as error:
            invalid.append(
                {"corpid": item.get("corpid"), "errcode": error.errcode, "errmsg": error.errmsg}
            )
    if not items:
        raise ApiError(701122, "every corp of the job is invalid")
    jobid = call.sandbox.licenses.order_job_add(items, str(call.body.get("jobid") or ""))
    return {"jobid": jobid, "invalid_list": invalid}


def submit_new_order_job(call: Call) -> dict[str, Any]:
    buyer = _buyer(call, "buyer_userid", 701166)
    call.sandbox.licenses.order_job_submit(call.field("jobid", 40058), buyer, call.sandbox.now())
    return {}


def new_order_job_result(call: Call) -> dict[str, Any]:
    job = call.sandbox.licenses.order_jobs.get(call.field("jobid", 40058))
    if job is None:
        raise ApiError(701151, "the jobid is wrong or expired")
    if not job.get("order_id"):
        raise ApiError(701125, "the job is not submitted")
    return {"status": 1, "order_id": job["order_id"], "fail_list": []}


def get_union_order(call: Call) -> dict[str, Any]:
    book = call.sandbox.licenses
    order = book.order(call.field("order_id", 40058))
    if not order.sub_orders:
        raise ApiError(701005, "not a multi-corp order")
    subs = [book.orders[s] for s in order.sub_orders]
    rows = [
        {"sub_order_id": o.order_id, "corpid": o.corpid,
         "account_count": {"base_count": o.base_count, "external_contact_count": o.external_count},
         "account_duration": {"months": o.months, "days": o.days}}
        for o in subs
    ]  # fmt: skip
    page = _paged(call, rows, "buy_list")
    return {"order": order.as_json(), **page}


def submit_pay_job(call: Call) -> dict[str, Any]:
    payer = _buyer(call, "payer_userid", 48001)
    del payer  # WeCom checks the payer's right; the balance is the provider's
    order = call.sandbox.licenses.order(call.field("order_id", 40058))
    return {"jobid": call.sandbox.licenses.pay_from_balance(order, call.sandbox.now())}


def pay_job_result(call: Call) -> dict[str, Any]:
    job = call.sandbox.licenses.pay_jobs.get(call.field("jobid", 40058))
    if job is None:
        raise ApiError(701151, "the jobid is wrong or expired")
    answer: dict[str, Any] = {"status": job["status"]}
    if job["errcode"]:
        answer["pay_job_result"] = {"errcode": job["errcode"], "errmsg": "payment failed"}
    return answer


def active_account_by_type(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    userid = _member(call, corp, authorization, call.field("userid", 40058))
    kind = call.body.get("type")
    if kind not in (1, 2):
        raise ApiError(701006, "invalid account type")
    call.sandbox.licenses.activate_by_type(corp.corpid, userid, int(kind), call.sandbox.now())
    return {}


def batch_share_active_code(call: Call) -> dict[str, Any]:
    """The sandbox has no 上下游 or 企业互联 chains, so no two corps are linked (701058)."""
    _corp(call, "from_corpid")
    _corp(call, "to_corpid")
    raise ApiError(701058, "the corps are not linked")


def cancel_order(call: Call) -> dict[str, Any]:
    order = call.sandbox.licenses.order(call.field("order_id", 40058), call.field("corpid", 40058))
    call.sandbox.licenses.cancel(order)
    return {}


def active_account(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    code = call.sandbox.licenses.code(corp.corpid, call.field("active_code", 40058))
    userid = _member(call, corp, authorization, call.field("userid", 40058))
    call.sandbox.licenses.activate(code, userid, call.sandbox.now())
    return {}


def batch_active_account(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    items = call.body.get("active_list") or []
    if not isinstance(items, list) or not items:
        raise ApiError(701025, "the list is empty")
    if len(items) > MAX_BATCH:
        raise ApiError(701026, "the list is too long")
    results = []
    for item in items:
        try:
            code = call.sandbox.licenses.code(corp.corpid, str(item.get("active_code", "")))
            userid = _member(call, corp, authorization, str(item.get("userid", "")))
            call.sandbox.licenses.activate(code, userid, call.sandbox.now())
            errcode = 0
        except ApiError as error:
            errcode = error.errcode
        results.append({"active_code": item.get("active_code"), "userid": item.get("userid"),
                        "errcode": errcode})  # fmt: skip
    return {"active_result": results}


def get_active_info_by_code(call: Call) -> dict[str, Any]:
    corp, _authorization = _corp(call)
    code = call.sandbox.licenses.code(corp.corpid, call.field("active_code", 40058))
    return {"active_info": _code_json(call, code)}


def batch_get_active_info_by_code(call: Call) -> dict[str, Any]:
    corp, _authorization = _corp(call)
    values = [str(v) for v in call.body.get("active_code_list") or []]
    if len(values) > MAX_BATCH:
        raise ApiError(701026, "the list is too long")
    book = call.sandbox.licenses
    known = [
        book.codes[v] for v in values if v in book.codes and book.codes[v].corpid == corp.corpid
    ]
    found = {c.code for c in known}
    invalid = [v for v in values if v not in found]
    return {"active_info_list": [_code_json(call, c) for c in known],
            "invalid_active_code_list": invalid}  # fmt: skip


def get_active_info_by_user(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    userid = _member(call, corp, authorization, call.field("userid", 40058))
    now = call.sandbox.now()
    held = [
        c for kind in (1, 2) if (c := call.sandbox.licenses.held(corp.corpid, userid, kind, now))
    ]
    return {
        "active_status": int(bool(held)),
        "active_info_list": [_code_json(call, c) for c in held],
    }


def list_actived_account(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    rows = [
        {"userid": _open(call, authorization, c.userid), "type": c.type,
         "active_time": c.active_time, "expire_time": c.expire_time}
        for c in call.sandbox.licenses.of_corp(corp.corpid)
        if c.userid and c.status in (2, 3)
    ]  # fmt: skip
    return _paged(call, rows, "account_list")


def batch_transfer_license(call: Call) -> dict[str, Any]:
    corp, authorization = _corp(call)
    pairs = call.body.get("transfer_list") or []
    if not isinstance(pairs, list) or not pairs:
        raise ApiError(701025, "the list is empty")
    results = []
    for pair in pairs:
        handover, takeover = (
            str(pair.get("handover_userid", "")),
            str(pair.get("takeover_userid", "")),
        )
        try:
            call.sandbox.licenses.transfer(
                corp.corpid,
                _holder(call, corp, authorization, handover),
                _member(call, corp, authorization, takeover),
                call.sandbox.now(),
            )
            errcode = 0
        except ApiError as error:
            errcode = error.errcode
        results.append(
            {"handover_userid": handover, "takeover_userid": takeover, "errcode": errcode}
        )
    return {"transfer_result": results}


def set_auto_active_status(call: Call) -> dict[str, Any]:
    corp, _authorization = _corp(call)
    status = call.body.get("auto_active_status")
    if status not in (0, 1):
        raise ApiError(701070, "invalid auto_active_status")
    if not any(
        o.corpid == corp.corpid and o.status == 1 for o in call.sandbox.licenses.orders.values()
    ):
        raise ApiError(701071, "the corp has never bought a licence")
    call.sandbox.licenses.auto_active[corp.corpid] = bool(status)
    return {}


def get_auto_active_status(call: Call) -> dict[str, Any]:
    corp, _authorization = _corp(call)
    return {"auto_active_status": int(call.sandbox.licenses.auto_active.get(corp.corpid, False))}


def get_app_license_info(call: Call) -> dict[str, Any]:
    corpid, suite_id = call.field("corpid", 40058), call.field("suite_id", 40058)
    authorization = call.sandbox.active_authorization(suite_id, corpid)
    if authorization is None:
        raise ApiError(701015, "the app is not installed in this corp")
    end = trial_end(authorization)
    answer: dict[str, Any] = {"license_status": 1}
    if end is not None:
        answer["trail_info"] = {"start_time": int(authorization.installed_at), "end_time": int(end)}
        answer["license_check_time"] = int(end)
    else:
        answer["license_check_time"] = int(authorization.installed_at)
    return answer


def get_account_balance(call: Call) -> dict[str, Any]:
    return {"balance": call.sandbox.licenses.balance}


HANDLERS = {
    "license/create_new_order": create_new_order,
    "license/get_order": get_order,
    "license/list_order": list_order,
    "license/list_order_account": list_order_account,
    "license/cancel_order": cancel_order,
    "license/active_account": active_account,
    "license/batch_active_account": batch_active_account,
    "license/get_active_info_by_code": get_active_info_by_code,
    "license/batch_get_active_info_by_code": batch_get_active_info_by_code,
    "license/get_active_info_by_user": get_active_info_by_user,
    "license/list_actived_account": list_actived_account,
    "license/batch_transfer_license": batch_transfer_license,
    "license/set_auto_active_status": set_auto_active_status,
    "license/get_auto_active_status": get_auto_active_status,
    "license/get_app_license_info": get_app_license_info,
    "service/get_account_balance": get_account_balance,
    "license/create_renew_order_job": create_renew_order_job,
    "license/submit_order_job": submit_order_job,
    "license/create_new_order_job": create_new_order_job,
    "license/submit_new_order_job": submit_new_order_job,
    "license/new_order_job_result": new_order_job_result,
    "license/get_union_order": get_union_order,
    "license/submit_pay_job": submit_pay_job,
    "license/pay_job_result": pay_job_result,
    "license/active_account_by_type": active_account_by_type,
    "license/batch_share_active_code": batch_share_active_code,
}
