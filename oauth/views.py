"""Thin browser views over oauth.services. A refusal they raise (SignInError, WeCom down…)
becomes a page with its reason and status (isvportal.middleware.RefusalPageMiddleware)."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from corps.models import Provider, Suite
from oauth.services import (
    SCOPES,
    SignInError,
    authorize_url,
    install_finish,
    install_url,
    member_sign_in,
    provider_login_url,
    provider_sign_in,
    safe_next,
    sign_in_corp,
    sso_corp_mismatch_record,
)
from oauth.state import StateError, state_consume, state_issue

SIGNED_IN = "/oauth/me/"


INSTALLS_REMEMBERED = 10  # per browser session, so reloading an install's result page works


def result_page(
    request: HttpRequest, title: str, message: str, status: int = 200, restart: str = ""
) -> HttpResponse:
    context = {"title": title, "message": message, "restart": restart}
    return render(request, "oauth/result.html", context, status=status)


def bad_state(request: HttpRequest, restart: str) -> HttpResponse:
    message = _(
        "This link is no longer valid (it was used, expired, or opened in another browser). "
        "Please start again."
    )
    return result_page(request, _("Please start again"), message, 400, restart)


def _installed_page(request: HttpRequest, corp_name: str) -> HttpResponse:
    message = _(
        "%(corp)s has installed the app. Its members can open it from the WeCom workbench."
    ) % {"corp": corp_name}
    return result_page(request, _("Installed"), message)


def _suite(suite_id: str) -> Suite:
    suite = Suite.objects.filter(suite_id=suite_id).first()
    if suite is None:
        raise SignInError(404, _("Unknown app %(suite)s.") % {"suite": suite_id})
    return suite


def _client_ip(request: HttpRequest) -> str | None:
    """The client's address by the throttles' rule: X-Forwarded-For only as far as
    TRUSTED_PROXIES wrote it."""
    return BaseThrottle().get_ident(Request(request))


@require_GET
def install_start(request: HttpRequest, suite_id: str) -> HttpResponse:
    suite = _suite(suite_id)
    state = state_issue(request.session, "install", suite_id=suite_id)
    return HttpResponseRedirect(install_url(suite=suite, state=state))


@require_GET
def install_done(request: HttpRequest, suite_id: str) -> HttpResponse:
    state = request.GET.get("state") or ""
    done: dict[str, str] = request.session.get("installs_done", {})
    try:
        data = state_consume(request.session, "install", state)
    except StateError:
        if state in done:  # the result page, reloaded
            return _installed_page(request, done[state])
        return bad_state(request, reverse("oauth:install", args=[suite_id]))
    if data.get("suite_id") != suite_id:
        raise SignInError(400, _("This install was started for another app."))
    auth_code = request.GET.get("auth_code", "")
    if not auth_code:
        raise SignInError(400, _("WeCom did not send an auth_code."))
    corp = install_finish(suite=_suite(suite_id), auth_code=auth_code)
    corp_name = corp.corp_name or corp.corpid
    remembered = [*done.items()][-(INSTALLS_REMEMBERED - 1) :]
    request.session["installs_done"] = {**dict(remembered), state: corp_name}
    return _installed_page(request, corp_name)


@require_GET
def login_start(request: HttpRequest, suite_id: str) -> HttpResponse:
    scope = request.GET.get("scope", "snsapi_base")
    suite = _suite(suite_id)
    if scope not in SCOPES:
        raise SignInError(400, _("Unknown scope %(scope)s.") % {"scope": scope})
    next_url = safe_next(request.GET.get("next"), SIGNED_IN)
    corp = sign_in_corp(suite, request.GET.get("corpid"))
    corpid = corp.corpid if corp else ""
    state = state_issue(request.session, "sso", suite_id=suite_id, next=next_url, corpid=corpid)
    return HttpResponseRedirect(authorize_url(suite=suite, state=state, scope=scope, corp=corp))


@require_GET
def login_callback(request: HttpRequest, suite_id: str) -> HttpResponse:
    try:
        data = state_consume(request.session, "sso", request.GET.get("state"))
    except StateError:
        return bad_state(request, reverse("oauth:login", args=[suite_id]))
    if data.get("suite_id") != suite_id:
        raise SignInError(400, _("This sign-in was started for another app."))
    suite = _suite(suite_id)
    corp = sign_in_corp(suite, data.get("corpid"))
    member = member_sign_in(suite=suite, code=request.GET.get("code", ""), corp=corp)
    current = getattr(request.user, "wecom_member", None) if request.user.is_authenticated else None
    if current is not None and current.corp_id != member.corp_id:
        sso_corp_mismatch_record(user=current.user, member=member, ip=_client_ip(request))
        message = _("You are signed in for another corp. Sign out first, then open the app again.")
        return result_page(request, _("Another corp"), message, 403)
    login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(safe_next(data.get("next"), SIGNED_IN))


@require_GET
def provider_login(request: HttpRequest) -> HttpResponse:
    """Without auth_code: off to WeCom's login QR page. With it: the console, for admins."""
    if "auth_code" not in request.GET:
        provider = _provider(request.GET.get("provider"))
        state = state_issue(request.session, "provider-login", provider=provider.corpid)
        return HttpResponseRedirect(provider_login_url(provider=provider, state=state))
    try:
        data = state_consume(request.session, "provider-login", request.GET.get("state"))
    except StateError:
        return bad_state(request, reverse("oauth:provider-login"))
    provider = _provider(data.get("provider"))
    user = provider_sign_in(
        provider=provider, auth_code=request.GET["auth_code"], ip=_client_ip(request)
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect("/admin/")


def _provider(corpid: str | None) -> Provider:
    providers = Provider.objects.all()
    provider = providers.filter(corpid=corpid).first() if corpid else None
    if provider is None and not corpid and providers.count() == 1:
        provider = providers.first()
    if provider is None:
        raise SignInError(404, _("Name the provider: ?provider=<corpid>."))
    return provider


@require_GET
def signed_in(request: HttpRequest) -> HttpResponse:
    """The member's page. Signed out, it says how to sign in again: members sign in by opening
    the app in WeCom, not at the console's staff login."""
    if not request.user.is_authenticated:
        message = _("You are signed out. Open the app in WeCom to sign in again.")
        return result_page(request, _("Signed out"), message, 401)
    member = getattr(request.user, "wecom_member", None)
    return render(request, "oauth/signed_in.html", {"member": member})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    message = _("You are signed out. Open the app in WeCom to sign in again.")
    return result_page(request, _("Signed out"), message)
