"""Control actions: what a test or a developer can make the sandbox do.

One table serves both doors: the JSON control API (POST /sandbox/api/actions/<name>) and the
buttons of the control page (POST /sandbox/act/<name>). Each action takes a flat mapping of
strings or JSON values and returns a JSON-able result; a bad request raises LifecycleError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sandbox import customers, storms
from sandbox.api import Call
from sandbox.engine import ApiError, Fault
from sandbox.licensing import DAY, TRIAL_DAYS
from sandbox.lifecycle import Lifecycle, LifecycleError
from sandbox.provider_api import get_register_code
from sandbox.pusher import Delivery
from sandbox.webhook_inbox import PATH

Data = Mapping[str, Any]
Action = Callable[[Lifecycle, Data], dict[str, Any]]


def _text(data: Data, key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value in (None, ""):
        if default is not None:
            return default
        raise LifecycleError(f"{key} is required")
    return str(value)


def _int(data: Data, key: str, default: int | None = None) -> int:
    try:
        return int(_text(data, key, None if default is None else str(default)))
    except ValueError:
        raise LifecycleError(f"{key} must be an integer") from None


def _suite_corp(data: Data) -> tuple[str, str]:
    return _text(data, "suite_id"), _text(data, "corpid")


def _pushed(delivery: Delivery | None) -> dict[str, Any]:
    return {"push": delivery.as_json() if delivery else None}


def suite_ticket(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_ids = (
        [data["suite_id"]]
        if data.get("suite_id")
        else [s.suite_id for s in life.sandbox.config.suites]
    )
    if any(life.sandbox.config.suite(s) is None for s in suite_ids):
        raise LifecycleError("unknown suite")
    return {"pushes": {s: life.pusher.push_suite_ticket(s).as_json() for s in suite_ids}}


def create_auth(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    auth_code, delivery = life.install(
        suite_id, corpid, state=_text(data, "state", ""), auth_type=_int(data, "auth_type", 0)
    )
    return {"auth_code": auth_code, **_pushed(delivery)}


def change_auth(life: Lifecycle, data: Data) -> dict[str, Any]:
    """What the corp's admin (or, for publishing, the provider) changed, then change_auth:
    ``closed`` disables or enables the app, ``publish_status`` moves a 代开发 app (0–3)."""
    suite_id, corpid = _suite_corp(data)
    authorization = life.installed(suite_id, corpid)
    status = _int(data, "publish_status", authorization.publish_status)
    if status not in range(4):
        raise LifecycleError("publish_status is 0, 1, 2 or 3")
    with life.sandbox.lock:
        if "closed" in data:
            authorization.closed = str(data["closed"]).lower() in ("1", "true", "on")
        authorization.publish_status = status
    return _pushed(life.change_auth(suite_id, corpid))


def cancel_auth(life: Lifecycle, data: Data) -> dict[str, Any]:
    return _pushed(life.cancel_auth(*_suite_corp(data)))


def reset_permanent_code(life: Lifecycle, data: Data) -> dict[str, Any]:
    return _pushed(life.reset_permanent_code(*_suite_corp(data)))


def change_contact(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    details = data.get("data")
    if not isinstance(details, Mapping):
        reserved = {"suite_id", "corpid", "change_type"}
        details = {k: v for k, v in data.items() if k not in reserved and v not in ("", None)}
    delivery = life.change_contact(suite_id, corpid, _text(data, "change_type"), dict(details))
    return _pushed(delivery)


def customer_change(life: Lifecycle, data: Data) -> dict[str, Any]:
    """change_external_contact / _chat / _tag (``kind``) with its ``change_type``; optional
    userid, unionid (a customer of the corp), chat_id, id, members, state…"""
    suite_id, corpid = _suite_corp(data)
    if data.get("event"):  # the control page's one select: kind.change_type
        kind, _dot, change_type = _text(data, "event").partition(".")
    else:
        kind, change_type = _text(data, "kind"), _text(data, "change_type")
    reserved = {"suite_id", "corpid", "kind", "change_type", "event"}
    details = {k: v for k, v in data.items() if k not in reserved}
    return _pushed(customers.customer_change(life, suite_id, corpid, kind, change_type, details))


def change_app_admin(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    return _pushed(life.change_app_admin(suite_id, corpid, _text(data, "admin_userid", "")))


def app_event(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    delivery = life.app_event(
        suite_id, corpid, _text(data, "event"), _text(data, "userid"), _text(data, "content", "")
    )
    return _pushed(delivery)


def end_trial(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Move the install's licence trial into the past, as if installed 91 days ago."""
    suite_id, corpid = _suite_corp(data)
    authorization = life.installed(suite_id, corpid)
    with life.sandbox.lock:
        authorization.installed_at = life.sandbox.now() - (TRIAL_DAYS + 1) * DAY
    return {"trial_end": int(authorization.installed_at + TRIAL_DAYS * DAY)}


def app_order(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    order_id, opened = life.app_order(
        suite_id, corpid, _text(data, "edition_id", "SANDBOX-PRO"),
        _int(data, "user_count", 50), _int(data, "days", 365),
    )  # fmt: skip
    return {"order_id": order_id, **_pushed(opened)}


def app_pay(life: Lifecycle, data: Data) -> dict[str, Any]:
    deliveries = life.app_pay(_text(data, "order_id"))
    return {"pushes": [d.as_json() for d in deliveries], **_pushed(deliveries[0])}


def app_refund(life: Lifecycle, data: Data) -> dict[str, Any]:
    deliveries = life.app_refund(_text(data, "order_id"))
    return {"pushes": [d.as_json() for d in deliveries], **_pushed(deliveries[0])}


def app_trial(life: Lifecycle, data: Data) -> dict[str, Any]:
    return _pushed(life.app_trial(*_suite_corp(data)))


def license_pay(life: Lifecycle, data: Data) -> dict[str, Any]:
    deliveries = life.license_pay(_text(data, "order_id"))
    return {"pushes": [d.as_json() for d in deliveries], **_pushed(deliveries[0])}


def license_refund(life: Lifecycle, data: Data) -> dict[str, Any]:
    return _pushed(life.license_refund(_text(data, "order_id")))


def _storm_size(data: Data) -> tuple[int, int]:
    """How many events, on how many concurrent connections."""
    count, threads = _int(data, "count"), _int(data, "threads", 8)
    if not 1 <= count <= 100_000:
        raise LifecycleError("count must be between 1 and 100000")
    if not 1 <= threads <= 64:
        raise LifecycleError("threads must be between 1 and 64")
    return count, threads


def message_burst(life: Lifecycle, data: Data) -> dict[str, Any]:
    count, threads = _storm_size(data)
    redeliver_every = _int(data, "redeliver_every", 0)
    if redeliver_every < 0:
        raise LifecycleError("redeliver_every must be 0 or more")
    return storms.message_burst(
        life, _text(data, "suite_id"), count, redeliver_every=redeliver_every, threads=threads
    )


def contact_storm(life: Lifecycle, data: Data) -> dict[str, Any]:
    count, threads = _storm_size(data)
    return storms.contact_storm(life, _text(data, "suite_id"), count, threads=threads)


def register_code(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Issue a register code as get_register_code would, without a provider token."""
    body = {k: str(v) for k, v in data.items()}
    try:
        with life.sandbox.lock:
            answer = get_register_code(Call(life.sandbox, {}, body, None))
    except ApiError as error:
        raise LifecycleError(f"errcode {error.errcode}: {error.errmsg}") from None
    return answer


def register_corp(life: Lifecycle, data: Data) -> dict[str, Any]:
    corp, registered, installed = life.register(
        _text(data, "register_code"),
        corp_name=_text(data, "corp_name"),
        admin_name=_text(data, "admin_name"),
    )
    return {
        "corpid": corp.corpid,
        "register_corp": registered.as_json(),
        "create_auth": installed.as_json(),
    }


def oauth_code(life: Lifecycle, data: Data) -> dict[str, Any]:
    suite_id, corpid = _suite_corp(data)
    scope = _text(data, "scope", "snsapi_base")
    return {"code": life.oauth_code(suite_id, corpid, _text(data, "userid"), scope)}


def login_code(life: Lifecycle, data: Data) -> dict[str, Any]:
    return {"auth_code": life.login_code(_text(data, "corpid"), _text(data, "userid"))}


def admin_level(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Make ``userid`` of ``corpid`` an admin of WeCom's level ``usertype`` (2 internal, 3
    external, 4 分级管理员) or a plain member (5), as get_login_info will report it."""
    life.admin_level(_text(data, "corpid"), _text(data, "userid"), _int(data, "usertype"))
    return {}


def fault(life: Lifecycle, data: Data) -> dict[str, Any]:
    """The next ``count`` calls to ``endpoint`` (about ``corpid``, if given) fail with
    ``errcode``, answer HTTP ``http_status``, lose their connection mid-answer (``drop``), take
    ``delay_ms`` before they act, or ``after_ms`` between acting and answering."""
    injected = Fault(
        endpoint=_text(data, "endpoint").strip("/").removeprefix("cgi-bin/"),
        remaining=_int(data, "count", 1),
        errcode=_int(data, "errcode", 0),
        delay_ms=_int(data, "delay_ms", 0),
        after_ms=_int(data, "after_ms", 0),
        http_status=_int(data, "http_status", 0),
        drop=_text(data, "drop", "") in ("1", "true", "True"),
        corpid=_text(data, "corpid", ""),
    )
    if not (
        injected.errcode
        or injected.delay_ms
        or injected.after_ms
        or injected.http_status
        or injected.drop
    ):
        raise LifecycleError("a fault needs an errcode, http_status, drop, delay_ms or after_ms")
    if injected.http_status and not 400 <= injected.http_status <= 599:
        raise LifecycleError("http_status must be an HTTP error status (400-599)")
    life.sandbox.add_fault(injected)
    return {"faults": len(life.sandbox.faults)}


def clear_faults(life: Lifecycle, data: Data) -> dict[str, Any]:
    with life.sandbox.lock:
        life.sandbox.faults.clear()
    return {"faults": 0}


def token_lifetime(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Tokens and tickets issued from now on last ``seconds`` (WeCom shortens the lifetime
    when it retires tokens early)."""
    seconds = _int(data, "seconds")
    if not 60 <= seconds <= 7200:
        raise LifecycleError("seconds must be between 60 and 7200")
    life.sandbox.token_lifetime = seconds
    return {"seconds": seconds}


def rate_limit(life: Lifecycle, data: Data) -> dict[str, Any]:
    life.sandbox.rate_limit = _int(data, "per_minute")
    return {"per_minute": life.sandbox.rate_limit}


def advance_clock(life: Lifecycle, data: Data) -> dict[str, Any]:
    life.sandbox.advance(_int(data, "seconds"))
    return {"offset": life.sandbox.clock_offset}


def revoke_tokens(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Revoke a corp's tokens early, as WeCom may."""
    corpid = _text(data, "corpid")
    life.corp(corpid)
    with life.sandbox.lock:
        count = life.sandbox.revoke_corp_credentials(corpid, data.get("suite_id") or None)
    return {"revoked": count}


def reset_logs(life: Lifecycle, data: Data) -> dict[str, Any]:
    with life.sandbox.lock:
        for log in (life.sandbox.calls, life.sandbox.pushes, life.sandbox.messages,
                    life.sandbox.webhooks):  # fmt: skip
            log.clear()
    return {}


def webhook_inbox(life: Lifecycle, data: Data) -> dict[str, Any]:
    """The webhook endpoint's secret, which the inbox verifies messages with."""
    secret = _text(data, "secret")
    if not secret.startswith("whsec_"):
        raise LifecycleError("secret must be the endpoint's whsec_… secret")
    with life.sandbox.lock:
        life.sandbox.inbox.secret = secret
    return {"inbox": life.sandbox.public_url + PATH}


def webhook_outage(life: Lifecycle, data: Data) -> dict[str, Any]:
    """Answer 503 to the next ``count`` webhook deliveries, as a receiver that is down."""
    count = _int(data, "count", 3)
    with life.sandbox.lock:
        life.sandbox.inbox.outage = max(0, count)
    return {"outage": count}


ACTIONS: dict[str, Action] = {
    "suite_ticket": suite_ticket,
    "create_auth": create_auth,
    "change_auth": change_auth,
    "cancel_auth": cancel_auth,
    "reset_permanent_code": reset_permanent_code,
    "change_contact": change_contact,
    "change_app_admin": change_app_admin,
    "customer_change": customer_change,
    "app_event": app_event,
    "message_burst": message_burst,
    "contact_storm": contact_storm,
    "end_trial": end_trial,
    "app_order": app_order,
    "app_pay": app_pay,
    "app_refund": app_refund,
    "app_trial": app_trial,
    "license_pay": license_pay,
    "license_refund": license_refund,
    "register_code": register_code,
    "register_corp": register_corp,
    "oauth_code": oauth_code,
    "login_code": login_code,
    "admin_level": admin_level,
    "fault": fault,
    "clear_faults": clear_faults,
    "rate_limit": rate_limit,
    "token_lifetime": token_lifetime,
    "advance_clock": advance_clock,
    "revoke_tokens": revoke_tokens,
    "reset_logs": reset_logs,
    "webhook_inbox": webhook_inbox,
    "webhook_outage": webhook_outage,
}


def run(life: Lifecycle, name: str, data: Data) -> dict[str, Any]:
    action = ACTIONS.get(name)
    if action is None:
        raise LifecycleError(f"unknown action {name}")
    return action(life, data)


def snapshot(life: Lifecycle) -> dict[str, Any]:
    """The world as the control page and tests see it."""
    sandbox = life.sandbox
    with sandbox.lock:
        corps = []
        for corp in [sandbox.provider_corp, *sandbox.corps.values()]:
            corps.append(
                {
                    "corpid": corp.corpid,
                    "plain_corpid": corp.plain_corpid,
                    "name": corp.name,
                    "is_provider": corp is sandbox.provider_corp,
                    "admin_userid": corp.admin_userid,
                    "departments": [d.as_json() for d in corp.departments.values()],
                    "contacts_locked": corp.contacts_locked,
                    "members": [
                        {
                            "userid": m.userid,
                            "name": m.name,
                            "departments": m.departments,
                            "department_names": [
                                corp.departments[d].name if d in corp.departments else str(d)
                                for d in m.departments
                            ],
                        }
                        for m in corp.members.values()
                    ],
                    "installs": [
                        {
                            "suite_id": a.suite_id,
                            "agentid": a.agentid,
                            "active": a.active,
                            "auth_type": a.auth_type,
                            "scope": a.scope,
                            "closed": a.closed,
                            "publish_status": a.publish_status,
                        }
                        for a in sandbox.authorizations.values()
                        if a.corpid == corp.corpid
                    ],
                }
            )
        return {
            "provider": {"corpid": sandbox.config.provider.corpid},
            "portal": sandbox.config.portal,
            "suites": [
                {
                    "suite_id": s.suite_id,
                    "name": s.name,
                    "register_templates": list(s.register_templates),
                    "tickets_pushed": sandbox.tickets_pushed[s.suite_id],
                    "customized": s.customized,
                }
                for s in sandbox.config.suites
            ],
            "corps": corps,
            "faults": [vars(f) for f in sandbox.faults if f.remaining > 0],
            "in_flight": {path: n for path, n in sandbox.in_flight.items() if n > 0},
            "rate_limit": sandbox.rate_limit,
            "token_lifetime": sandbox.token_lifetime,
            "clock_offset": sandbox.clock_offset,
        }
