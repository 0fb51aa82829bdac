"""Every door × every upstream or setup failure: a refusal with a reason, never a 500.

A door is a request a person or program makes that needs WeCom or a stored secret; a failure is
something outside the request's control (no suite_ticket yet, a secret that no longer decrypts,
WeCom answering -1, a 502 from its gateway, a connection dropped mid-answer, a timeout). The
matrix is generated: a new door is covered by adding it to DOORS, a new failure to FAILURES.
Each case also checks that nothing was written: no corp, member, token or register code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from corps.models import AuthorizedCorp, Member, RegisterCode, Suite
from oauth.models import ApiToken
from tokens.models import Credential

pytestmark = pytest.mark.django_db

Trigger = Callable[[], Any]


@dataclass(frozen=True)
class Door:
    """``prepare`` does what comes before the failing call and returns the call itself."""

    prepare: Callable[[Any, Client], Trigger]
    endpoint: str  # the WeCom call the door makes (where faults are injected)
    uses_suite_ticket: bool = True
    # "api": a JSON error body; "page": a page; "form": an admin form that shows WeCom's failures
    # as a form error (a secret that does not decrypt makes the whole page a refusal instead)
    kind: str = "api"


def _state(response) -> str:
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def install_start(isv, browser):
    return lambda: browser.get(f"/oauth/install/{isv.suite.suite_id}/")


def install_done(isv, browser):
    state = _state(browser.get(f"/oauth/install/{isv.suite.suite_id}/"))
    code = isv.wecom.action("create_auth", suite_id=isv.suite.suite_id, corpid=isv.wecom.corps[0])
    query = {"auth_code": code["auth_code"], "state": state}
    return lambda: browser.get(f"/oauth/install/{isv.suite.suite_id}/done/", query)


def _oauth_code(isv) -> str:
    isv.install(0)
    return str(
        isv.wecom.action(
            "oauth_code",
            suite_id=isv.suite.suite_id,
            corpid=isv.wecom.corps[0],
            userid="lina",
            scope="snsapi_base",
        )["code"]
    )


def browser_sso(isv, browser):
    code = _oauth_code(isv)
    state = _state(browser.get(f"/oauth/login/{isv.suite.suite_id}/"))
    query = {"code": code, "state": state}
    return lambda: browser.get(f"/oauth/callback/{isv.suite.suite_id}/", query)


def rest_sso(isv, browser):
    body = {"suite_id": isv.suite.suite_id, "code": _oauth_code(isv)}
    return lambda: browser.post("/api/v1/auth/sso/", body, content_type="application/json")


def jssdk(isv, browser):
    answer = rest_sso(isv, browser)().json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {answer['token']}"}
    url = {"url": "https://app.example/page"}
    return lambda: browser.get("/api/v1/jssdk/config/", url, **auth)


def provider_login(isv, browser):
    state = _state(browser.get("/oauth/provider-login/"))
    provider = isv.wecom.config.provider.corpid
    code = isv.wecom.action("login_code", corpid=provider, userid="sunyue")["auth_code"]
    return lambda: browser.get("/oauth/provider-login/", {"auth_code": code, "state": state})


def _staff(browser) -> None:
    staff = get_user_model().objects.create_superuser("staff", password="x" * 12)
    browser.force_login(staff)


def staff_register_code(isv, browser):
    _staff(browser)
    body = {"template_id": isv.wecom.config.suites[0].register_templates[0]}
    return lambda: browser.post("/api/v1/register-codes/", body, content_type="application/json")


def console_register_code(isv, browser):
    _staff(browser)
    form = {
        "provider": str(isv.provider.pk),
        "template_id": isv.wecom.config.suites[0].register_templates[0],
        "state": "",
    }
    return lambda: browser.post("/admin/corps/registercode/add/", form)


DOORS = {
    "install": Door(install_start, "service/get_pre_auth_code", kind="page"),
    "install done": Door(install_done, "service/get_permanent_code", kind="page"),
    "browser SSO": Door(browser_sso, "service/auth/getuserinfo3rd", kind="page"),
    "REST SSO": Door(rest_sso, "service/auth/getuserinfo3rd"),
    "JS-SDK": Door(jssdk, "get_jsapi_ticket"),
    "provider login": Door(
        provider_login, "service/get_login_info", uses_suite_ticket=False, kind="page"
    ),
    "staff API register code": Door(
        staff_register_code, "service/get_register_code", uses_suite_ticket=False
    ),
    "console register code": Door(
        console_register_code, "service/get_register_code", uses_suite_ticket=False, kind="form"
    ),
}


def _forget_credentials() -> None:
    """Nothing cached anywhere: the door's call has to go all the way up the chain."""
    Credential.objects.all().delete()
    cache.clear()


def no_suite_ticket(isv, settings, door):
    Suite.objects.update(suite_ticket="", suite_ticket_at=None)
    _forget_credentials()


def secret_unreadable(isv, settings, door):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def fault(**how):
    def inject(isv, settings, door):
        if door.endpoint == "get_jsapi_ticket":
            Credential.objects.filter(kind=Credential.Kind.JSAPI).delete()
            cache.clear()
        isv.wecom.action("fault", endpoint=door.endpoint, count=10, **how)

    return inject


def timeout(isv, settings, door):
    settings.WECOM_READ_TIMEOUT = 0.3
    fault(delay_ms=800)(isv, settings, door)


@dataclass(frozen=True)
class Failure:
    apply: Callable[[Any, Any, Door], None]
    status: int
    code: str
    says: str  # words of the English sentence shown


FAILURES = {
    "no suite_ticket": Failure(no_suite_ticket, 503, "suite_ticket_missing", "suite_ticket"),
    "a secret that does not decrypt": Failure(
        secret_unreadable, 503, "secret_unreadable", "FIELD_ENCRYPTION_KEYS"
    ),
    "WeCom answers -1": Failure(fault(errcode=-1), 502, "wecom_unavailable", "WeCom could not"),
    "HTTP 502": Failure(fault(http_status=502), 502, "wecom_unavailable", "WeCom could not"),
    "connection dropped": Failure(fault(drop=True), 502, "wecom_unavailable", "WeCom could not"),
    "timeout": Failure(timeout, 502, "wecom_unavailable", "WeCom could not"),
}

CASES = [
    pytest.param(door, failure, id=f"{door} / {failure}")
    for door in DOORS
    for failure in FAILURES
    if DOORS[door].uses_suite_ticket or failure != "no suite_ticket"
]


def written() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (AuthorizedCorp, Member, ApiToken, RegisterCode)
    )


@pytest.mark.parametrize(("door_name", "failure_name"), CASES)
def test_each_door_refuses_each_failure_with_a_reason(isv, settings, door_name, failure_name):
    settings.JSSDK_TRUSTED_DOMAINS = ["app.example"]
    settings.LANGUAGE_CODE = "en-us"
    door, failure = DOORS[door_name], FAILURES[failure_name]
    browser = Client(raise_request_exception=True)  # a 500 fails the test with its traceback
    trigger = door.prepare(isv, browser)
    failure.apply(isv, settings, door)
    before = written()

    response = trigger()

    text = response.content.decode()
    if door.kind == "form" and failure.code != "secret_unreadable":  # the form itself works
        assert response.status_code == 200 and "errorlist" in text
        assert failure.says in text or "WeCom refused" in text, text[:2000]
    else:
        assert response.status_code == failure.status, text[:500]
        assert failure.says in text, text[:500]
    if door.kind == "api":
        assert response.json()["code"] == failure.code
    assert written() == before
