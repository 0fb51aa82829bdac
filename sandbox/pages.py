"""The browser pages WeCom shows people: install, OAuth2 authorize, provider login, register,
and the sandbox's own control page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox import control, customers, customized, license_api
from sandbox.editions import EDITIONS
from sandbox.engine import AUTH_CODE_LIFETIME, ApiError
from sandbox.lifecycle import APP_EVENTS, CONTACT_CHANGES, SCOPES, Lifecycle, LifecycleError
from sandbox.rendering import error_page, render


def with_params(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query string."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect_target(url: str) -> str | None:
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _picked(request: Request) -> tuple[str, str]:
    corpid, _sep, userid = request.form.get("member", "").partition("|")
    return corpid, userid


def install(life: Lifecycle, request: Request) -> Response:
    """/3rdapp/install: an admin picks a corp and approves; create_auth is pushed and the
    browser goes back to redirect_uri with the same auth_code."""
    args = request.args
    suite = life.sandbox.config.suite(args.get("suite_id", ""))
    if suite is None:
        return error_page(_("Unknown suite_id."))
    target = _redirect_target(args.get("redirect_uri", ""))
    if target is None:
        return error_page(_("redirect_uri must be an http(s) URL."))
    try:
        pre_auth = life.sandbox.find_code(
            "pre_auth_code", args.get("pre_auth_code"), invalid=40077, expired=42007
        )
    except ApiError as error:
        return error_page(
            _("The pre_auth_code is invalid or expired (errcode %(code)s).")
            % {"code": error.errcode}
        )
    if pre_auth.payload["suite_id"] != suite.suite_id:
        return error_page(_("The pre_auth_code belongs to another suite."))
    if request.method == "GET":
        corps = [
            {
                "corpid": c.corpid,
                "name": c.name,
                "full_name": c.full_name,
                "admin_name": c.members[c.admin_userid].name,
            }
            for c in life.sandbox.corps.values()
        ]
        return render(
            "install.html",
            suite=suite,
            corps=corps,
            test_install=pre_auth.payload["auth_type"] == 1,
        )
    corpid = request.form.get("corpid", "")
    state = args.get("state", "")
    try:
        with life.sandbox.lock:
            pre_auth.used = True
            auth_code, _delivery = life.install(
                suite.suite_id,
                corpid,
                state=state,
                auth_type=pre_auth.payload["auth_type"],
                push=False,
            )
    except LifecycleError as error:
        return error_page(str(error))
    # The create_auth push races the browser's redirect, as it does with WeCom.
    life.pusher.in_background(
        life.pusher.command,
        suite.suite_id,
        {
            "SuiteId": suite.suite_id,
            "InfoType": "create_auth",
            "TimeStamp": int(life.sandbox.now()),
            "AuthCode": auth_code,
            "State": state,
        },
    )
    return redirect(
        with_params(target, auth_code=auth_code, expires_in=str(AUTH_CODE_LIFETIME), state=state),
        302,
    )


def customized_install(life: Lifecycle, request: Request) -> Response:
    """/3rdapp/customized_install: a corp's admin authorizes the 代开发 templates of a
    customized authorization link; create_auth goes to each template's command URL."""
    link = request.args.get("code", "")
    try:
        code = life.sandbox.find_code("customized_auth", link, invalid=0, expired=0)
    except ApiError:
        return error_page(_("This authorization link is invalid or has expired."))
    templates = [life.sandbox.config.suite(t) for t in code.payload["templates"]]
    if request.method == "GET":
        corps = [{"corpid": c.corpid, "name": c.name, "full_name": c.full_name,
                  "admin_name": c.members[c.admin_userid].name}
                 for c in life.sandbox.corps.values()]  # fmt: skip
        return render("customized_install.html", templates=templates, corps=corps)
    corpid = request.form.get("corpid", "")
    try:
        for template in templates:
            assert template is not None
            life.install(template.suite_id, corpid, state=code.payload["state"])
    except LifecycleError as error:
        return error_page(str(error))
    names = "、".join(t.name for t in templates if t is not None)
    return render("message.html", title=_("Authorized"), message=_(
        "%(corp)s authorized %(apps)s. The provider now builds and publishes the app."
    ) % {"corp": life.corp(corpid).name, "apps": names})  # fmt: skip


def authorize(life: Lifecycle, request: Request) -> Response:
    """/connect/oauth2/authorize: a member of an installed corp opens the app."""
    args = request.args
    suite = life.sandbox.config.suite(args.get("appid", ""))
    only_corp = ""
    if suite is None:  # a 代开发 app: appid is the customer's corpid, agentid names the app
        suite = customized.suite_of_agent(life.sandbox, args.get("appid", ""), args.get("agentid"))
        only_corp = args.get("appid", "")
    if suite is None:
        return error_page(_("Unknown appid."))
    target = _redirect_target(args.get("redirect_uri", ""))
    if target is None:
        return error_page(_("redirect_uri must be an http(s) URL."))
    scope = args.get("scope", "snsapi_base")
    if scope not in SCOPES:
        return error_page(_("Unknown scope %(scope)s.") % {"scope": scope})
    if args.get("response_type", "code") != "code":
        return error_page(_("response_type must be code."))
    if request.method == "GET":
        corps = [
            {"corpid": c.corpid, "name": c.name, "members": list(c.members.values())}
            for c in life.sandbox.corps.values()
            if life.sandbox.active_authorization(suite.suite_id, c.corpid)
            and only_corp in ("", c.corpid)
        ]
        return render("authorize.html", suite=suite, corps=corps, private=scope != "snsapi_base")
    corpid, userid = _picked(request)
    authorization = life.sandbox.active_authorization(suite.suite_id, corpid)
    if authorization is not None and not license_api.licensed(life.sandbox, authorization, userid):
        try:
            life.app_event(suite.suite_id, corpid, "unlicensed_notify", userid)  # as WeCom does
        except LifecycleError as error:  # not a member of that corp
            return error_page(str(error))
        message = _("You have no licence for this app. Ask your admin to contact its provider.")
        return error_page(message, 403)
    try:
        code = life.oauth_code(suite.suite_id, corpid, userid, scope)
    except LifecycleError as error:
        return error_page(str(error))
    return redirect(with_params(target, code=code, state=args.get("state", "")), 302)


def provider_login(life: Lifecycle, request: Request) -> Response:
    """/wwopen/sso/3rd_qrConnect: someone scans the provider's login QR code."""
    args = request.args
    if args.get("appid") != life.sandbox.config.provider.corpid:
        return error_page(_("appid must be the provider's corpid."))
    target = _redirect_target(args.get("redirect_uri", ""))
    if target is None:
        return error_page(_("redirect_uri must be an http(s) URL."))
    if request.method == "GET":
        admins_only = args.get("usertype", "admin") == "admin"
        corps = []
        for corp in [life.sandbox.provider_corp, *life.sandbox.corps.values()]:
            members = [
                {"userid": m.userid, "name": m.name, "is_admin": corp.usertype(m.userid) != 5}
                for m in corp.members.values()
                if corp is life.sandbox.provider_corp
                or not admins_only
                or corp.usertype(m.userid) != 5
            ]
            corps.append(
                {
                    "corpid": corp.corpid,
                    "name": corp.name,
                    "is_provider": corp is life.sandbox.provider_corp,
                    "members": members,
                }
            )
        return render("login.html", corps=corps)
    corpid, userid = _picked(request)
    try:
        code = life.login_code(corpid, userid)
    except LifecycleError as error:
        return error_page(str(error))
    return redirect(with_params(target, auth_code=code, state=args.get("state", "")), 302)


def register(life: Lifecycle, request: Request) -> Response:
    """/3rdservice/wework/register: a new corp registers through a promotion link."""
    code = request.args.get("register_code", "")
    registration = life.sandbox.register_codes.get(code)
    usable = registration is not None and not registration.corpid
    if usable:
        try:
            life.sandbox.find_code("register_code", code, invalid=0, expired=0)
        except ApiError:
            usable = False
    if not usable:
        return error_page(_("This register link is invalid, used or expired."))
    if request.method == "GET":
        return render("register.html", registration=registration)
    try:
        corp, registered, installed = life.register(
            code,
            corp_name=request.form.get("corp_name", "").strip(),
            admin_name=request.form.get("admin_name", "").strip(),
        )
    except LifecycleError as error:
        return error_page(str(error))
    return render("register.html", corp=corp, registered=registered, installed=installed)


def control_page(life: Lifecycle, request: Request) -> Response:
    corp_actions = [
        ("create_auth", _("Install (create_auth)")),
        ("change_auth", _("change_auth")),
        ("change_app_admin", _("change_app_admin")),
        ("reset_permanent_code", _("reset_permanent_code")),
        ("app_trial", _("Start a 15-day trial")),
        ("cancel_auth", _("Uninstall (cancel_auth)")),
    ]
    with life.sandbox.lock:
        pushes = list(reversed(life.sandbox.pushes[-20:]))
        webhooks = list(reversed(life.sandbox.webhooks[-20:]))
        inbox_ready = bool(life.sandbox.inbox.secret)
        calls = list(reversed(life.sandbox.calls[-20:]))
        message, life.sandbox.flash = life.sandbox.flash, ""
        orders = list(reversed(life.sandbox.licenses.orders.values()))[:20]
        app_orders = list(reversed(life.sandbox.editions.orders.values()))[:20]
        names = {c.corpid: c.name for c in life.sandbox.corps.values()}
    return render(
        "control.html",
        state=control.snapshot(life),
        message=message,
        corp_actions=corp_actions,
        contact_changes=CONTACT_CHANGES,
        app_events=APP_EVENTS,
        customer_events=[f"{k}.{t}" for k, types in customers.CHANGE_TYPES.items() for t in types],
        pushes=pushes,
        webhooks=webhooks,
        inbox_ready=inbox_ready,
        calls=calls,
        orders=orders,
        app_orders=app_orders,
        editions=[(key, name) for key, (name, _price) in EDITIONS.items()],
        corp_names=names,
    )


def _outcome(result: dict[str, Any]) -> str:
    """An action's answer as a person reads it: ``key: value`` pairs, not a Python dict."""
    parts = []
    for key, value in result.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        parts.append(f"{key}: {shown}")
    return "; ".join(parts) or "-"


def control_action(life: Lifecycle, request: Request, name: str) -> Response:
    """A control-page button: run the action, then show the control page with its outcome.

    The outcome can hold codes, so it travels in the sandbox's state, never in the URL.
    """
    try:
        result = control.run(life, name, request.form.to_dict())
        if "register_code" in result:
            query = urlencode({"register_code": result["register_code"]})
            link = f"{request.host_url}3rdservice/wework/register?{query}"
            message = _("New register link: %(link)s") % {"link": link}
        else:
            outcome = {"action": name, "result": _outcome(result)}
            message = _("%(action)s done: %(result)s") % outcome
    except LifecycleError as error:
        message = _("%(action)s failed: %(error)s") % {"action": name, "error": error}
    with life.sandbox.lock:
        life.sandbox.flash = message
    return redirect("/", 303)
