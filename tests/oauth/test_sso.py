"""Member SSO through both doors, and provider staff login."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from corps.models import AuthorizedCorp, Member
from oauth.models import ApiToken, AuditRecord
from tests.oauth.conftest import follow_to_portal, sign_in


class TestBrowserFlow:
    def test_a_member_is_signed_in_and_sent_on(self, sso, browser):
        response, _ = sign_in(sso, browser, next_url="/oauth/me/?tab=1")
        assert response.status_code == 302 and response["Location"] == "/oauth/me/?tab=1"
        page = browser.get("/oauth/me/").content.decode()
        assert "星辰科技" in page and "李娜" in page  # the name from the install's contact sync
        member = Member.objects.get(userid="lina")
        assert member.user is not None and member.corp.corp_name == "星辰科技"

    def test_the_authorize_url_is_wecoms(self, sso, browser):
        start = browser.get(f"/oauth/login/{sso.suite.suite_id}/", {"scope": "snsapi_privateinfo"})
        url = urlsplit(start["Location"])
        query = parse_qs(url.query)
        assert url.path == "/connect/oauth2/authorize" and url.fragment == "wechat_redirect"
        assert query["appid"] == [sso.suite.suite_id] and query["response_type"] == ["code"]
        assert query["scope"] == ["snsapi_privateinfo"]
        assert query["redirect_uri"] == [
            f"http://127.0.0.1:8000/oauth/callback/{sso.suite.suite_id}/"
        ]

    def test_privateinfo_fills_what_the_member_allowed(self, sso, browser):
        sign_in(sso, browser, scope="snsapi_privateinfo")
        member = Member.objects.get(userid="lina")
        assert (member.name, member.gender) == ("李娜", 2)

    def test_a_reused_code_is_a_friendly_400(self, sso, browser):
        _, query = sign_in(sso, browser)
        other = Client()
        start = other.get(f"/oauth/login/{sso.suite.suite_id}/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        again = other.get(
            f"/oauth/callback/{sso.suite.suite_id}/", {"code": query["code"], "state": state}
        )
        assert again.status_code == 400
        assert "invalid, used or expired" in again.content.decode()
        assert "_auth_user_id" not in other.session

    @pytest.mark.parametrize(
        "next_url",
        [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "https:evil.example",
            "HTTPS://EVIL.EXAMPLE/",
            "user@evil.example",
            "http://user@evil.example",
            "///evil.example",
            "javascript:alert(1)",
        ],
    )
    def test_next_cannot_leave_the_site(self, sso, browser, next_url):
        response, _ = sign_in(sso, browser, next_url=next_url)
        assert response["Location"] == "/oauth/me/"

    @pytest.mark.parametrize("next_url", ["/ok\x00", "/ok\r\nSet-Cookie: x=1"])
    def test_control_characters_in_the_address_are_refused(self, sso, browser, next_url):
        response = browser.get(f"/oauth/login/{sso.suite.suite_id}/", {"next": next_url})
        assert response.status_code == 400 and "control character" in response.content.decode()

    @pytest.mark.parametrize("state", [None, "", "0" * 32, "forged-state"])
    def test_a_missing_or_forged_state_is_a_400(self, sso, browser, state):
        params = {"code": "whatever"} | ({"state": state} if state is not None else {})
        response = browser.get(f"/oauth/callback/{sso.suite.suite_id}/", params)
        assert response.status_code == 400
        restart = f'id="restart" class="button" href="/oauth/login/{sso.suite.suite_id}/"'
        assert restart in response.content.decode()
        assert get_user_model().objects.count() == 0

    def test_an_expired_state_is_a_400(self, sso, browser, time_machine):
        start = browser.get(f"/oauth/login/{sso.suite.suite_id}/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        time_machine.move_to(timezone.now() + timedelta(seconds=601))
        response = browser.get(
            f"/oauth/callback/{sso.suite.suite_id}/", {"code": "c", "state": state}
        )
        assert response.status_code == 400

    def test_a_state_from_another_session_is_a_400(self, sso, browser):
        start = browser.get(f"/oauth/login/{sso.suite.suite_id}/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        code = sso.oauth_code(0, "lina")
        response = Client().get(
            f"/oauth/callback/{sso.suite.suite_id}/", {"code": code, "state": state}
        )
        assert response.status_code == 400

    def test_a_session_of_one_corp_cannot_take_a_code_of_another(self, sso, browser):
        sign_in(sso, browser, 0, "lina")
        response, _ = sign_in(sso, browser, 1, "yanglei")
        assert response.status_code == 403
        record = AuditRecord.objects.get(kind="sso_corp_mismatch")
        assert record.corp.corp_name == "青山教育"
        assert browser.session["_auth_user_id"] == str(Member.objects.get(userid="lina").user_id)

    def test_a_cancelled_corp_cannot_sign_in(self, sso, browser):
        start = browser.get(f"/oauth/login/{sso.suite.suite_id}/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        code = sso.oauth_code(1, "yanglei")
        cancel_in_portal(sso, 1)
        response = browser.get(
            f"/oauth/callback/{sso.suite.suite_id}/", {"code": code, "state": state}
        )
        assert response.status_code == 403 and "cancelled" in response.content.decode()
        assert not Member.objects.filter(user__isnull=False).exists()
        assert get_user_model().objects.count() == 0


def cancel_in_portal(sso, corp_index):
    """The tenant as the cancel_auth handler leaves it (WeCom may still answer for a while)."""
    AuthorizedCorp.objects.filter(corpid=sso.wecom.corps[corp_index]).update(status="cancelled")


class TestRestExchange:
    def test_a_code_becomes_a_token_and_the_member(self, sso, client):
        code = sso.oauth_code(0, "wangfang", "snsapi_privateinfo")
        response = client.post(
            "/api/v1/auth/sso/",
            {"suite_id": sso.suite.suite_id, "code": code},
            content_type="application/json",
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token", "expires_at", "member"}
        assert body["member"]["userid"] == "wangfang" and body["member"]["name"] == "王芳"
        assert body["member"]["corp"]["corp_name"] == "星辰科技"
        stored = ApiToken.objects.get()
        assert body["token"] not in stored.digest and len(stored.digest) == 64
        assert not stored.member.user.has_usable_password()  # members sign in through WeCom
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
        assert me.status_code == 200 and me.json()["open_userid"] == body["member"]["open_userid"]

    def test_signing_in_again_unchanged_writes_no_member_and_reads_each_row_once(self, sso, client):
        """The member's row is read (and locked), not rewritten; its corp and the corp's
        licence state are read once each, and the Django user not at all (the REST exchange
        does not log it in)."""
        for attempt in ("first", "again"):
            code = sso.oauth_code(0, "lina")
            with CaptureQueriesContext(connection) as queries:
                response = client.post(
                    "/api/v1/auth/sso/",
                    {"suite_id": sso.suite.suite_id, "code": code},
                    content_type="application/json",
                )
            assert response.status_code == 200, (attempt, response.content)
        sql = [q["sql"] for q in queries.captured_queries]
        assert not [s for s in sql if s.startswith(("UPDATE", "INSERT")) and "corps_member" in s]
        assert not [s for s in sql if 'FROM "auth_user"' in s]
        assert len([s for s in sql if 'FROM "corps_authorizedcorp"' in s]) == 1
        assert len([s for s in sql if 'FROM "licenses_corplicense"' in s]) == 1

    @pytest.mark.parametrize(
        ("payload", "status", "code"),
        [
            ({"suite_id": "wwnosuch", "code": "x"}, 404, "not_found"),
            ({"code": "x"}, 400, "invalid"),
            ({"suite_id": "SUITE", "code": "forged"}, 400, "sign_in_refused"),
        ],
    )
    def test_bad_exchanges_get_a_clear_detail_and_create_no_user(
        self, sso, client, payload, status, code
    ):
        payload = {k: (sso.suite.suite_id if v == "SUITE" else v) for k, v in payload.items()}
        response = client.post("/api/v1/auth/sso/", payload, content_type="application/json")
        assert response.status_code == status
        assert response.json()["code"] == code and response.json()["detail"]
        assert get_user_model().objects.count() == 0

    def test_a_used_code_is_refused(self, sso, client):
        code = sso.oauth_code(0, "lina")
        body = {"suite_id": sso.suite.suite_id, "code": code}
        assert (
            client.post("/api/v1/auth/sso/", body, content_type="application/json").status_code
            == 200
        )
        again = client.post("/api/v1/auth/sso/", body, content_type="application/json")
        assert again.status_code == 400 and "used" in again.json()["detail"]

    def test_tokens_of_a_corp_that_cancels_stop_working(self, sso, client):
        code = sso.oauth_code(0, "lina")
        token = client.post(
            "/api/v1/auth/sso/",
            {"suite_id": sso.suite.suite_id, "code": code},
            content_type="application/json",
        ).json()["token"]
        cancel_in_portal(sso, 0)
        for path in ("/api/v1/me/", "/api/v1/corp/", "/api/v1/corp/members/"):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 403
            assert response.json()["code"] == "authorization_cancelled"

    def test_an_expired_or_unknown_token_is_a_401(self, sso, client, time_machine):
        code = sso.oauth_code(0, "lina")
        token = client.post(
            "/api/v1/auth/sso/",
            {"suite_id": sso.suite.suite_id, "code": code},
            content_type="application/json",
        ).json()["token"]
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
        time_machine.move_to(timezone.now() + timedelta(days=8))
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_the_exchange_is_throttled(self, sso, client, monkeypatch):
        from rest_framework.settings import api_settings
        from rest_framework.throttling import SimpleRateThrottle

        rates = {**api_settings.DEFAULT_THROTTLE_RATES, "sso": "3/min"}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
        codes = [
            client.post(
                "/api/v1/auth/sso/", {"suite_id": "x", "code": "y"}, content_type="application/json"
            ).status_code
            for _ in range(4)
        ]
        assert codes == [404, 404, 404, 429]

    @pytest.mark.parametrize(("proxies", "expected"), [(0, [404, 404, 404, 429]), (1, [404] * 4)])
    def test_the_throttle_trusts_forwarded_for_only_from_trusted_proxies(
        self, sso, client, monkeypatch, settings, proxies, expected
    ):
        """A client sending a new X-Forwarded-For each time is still one client unless a
        trusted proxy (TRUSTED_PROXIES) wrote the header."""
        from rest_framework.settings import api_settings
        from rest_framework.throttling import SimpleRateThrottle

        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
        rates = {**api_settings.DEFAULT_THROTTLE_RATES, "sso": "3/min"}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
        codes = [
            client.post(
                "/api/v1/auth/sso/",
                {"suite_id": "x", "code": "y"},
                content_type="application/json",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(4)
        ]
        assert codes == expected


class TestProviderLogin:
    def scan(self, sso, browser, corpid, userid):
        start = browser.get("/oauth/provider-login/")
        assert urlsplit(start["Location"]).path == "/wwopen/sso/3rd_qrConnect"
        path, query = follow_to_portal(start, {"member": f"{corpid}|{userid}"})
        assert path == "/oauth/provider-login/"
        return browser.get(path, query)

    def test_a_provider_admin_reaches_the_console(self, sso, browser):
        response = self.scan(sso, browser, sso.provider.corpid, "sunyue")
        assert response.status_code == 302 and response["Location"] == "/admin/"
        user = get_user_model().objects.get(username=f"provider-{sso.provider.corpid}-sunyue")
        assert user.is_staff and not user.is_superuser and not user.has_usable_password()
        assert browser.get("/admin/").status_code == 200

    @pytest.mark.parametrize("who", ["machao", "customer-admin"])
    def test_others_are_refused_and_recorded(self, sso, browser, who):
        corpid, userid = (
            (sso.provider.corpid, "machao") if who == "machao" else (sso.wecom.corps[0], "zhangwei")
        )
        response = self.scan(sso, browser, corpid, userid)
        assert response.status_code == 403
        assert AuditRecord.objects.get().kind == "provider_login_refused"
        assert not get_user_model().objects.filter(is_staff=True).exists()


class TestWaysOut:
    def test_a_signed_out_member_is_told_how_to_sign_in_again(self, client):
        response = client.get("/oauth/me/")
        assert response.status_code == 401
        assert "Open the app in WeCom" in response.content.decode()

    def test_a_member_signs_out(self, sso, browser):
        sign_in(sso, browser)
        page = browser.get("/oauth/me/").content.decode()
        assert 'id="sign-out"' in page
        assert browser.post("/oauth/sign-out/").status_code == 200
        assert browser.get("/oauth/me/").status_code == 401
        assert browser.get("/oauth/sign-out/").status_code == 405

    def test_the_staff_login_never_follows_an_outside_next(self, admin_user, client):
        response = client.post(
            "/admin/login/?next=https://evil.example",
            {"username": admin_user.username, "password": "password"},
        )
        assert response.status_code == 302 and response["Location"] == "/admin/"

    def test_the_console_offers_no_link_to_a_site_that_does_not_exist(self, admin_client):
        page = admin_client.get("/admin/").content.decode()
        assert "View site" not in page and 'href="/"' not in page


class TestConsoleSignIn:
    def test_the_login_page_leads_to_the_provider_qr_login(self, client):
        page = client.get("/admin/login/").content.decode()
        assert 'id="provider-login" href="/oauth/provider-login/"' in page

    def test_a_member_at_the_console_is_named_as_a_person(self, sso, browser):
        sign_in(sso, browser)
        assert browser.get("/admin/").status_code == 302
        page = browser.get("/admin/login/?next=/admin/").content.decode()
        assert "李娜" in page and "wecom-" not in page
