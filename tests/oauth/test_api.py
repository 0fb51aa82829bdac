"""The member REST API: own corp only, JS-SDK signatures, and fail-closed tenancy."""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connections
from django.urls import URLPattern, URLResolver, get_resolver

from corps.models import Member
from corps.tenancy import TenantScopeMissing
from oauth.api.pagination import CountedPagePagination
from oauth.api.serializers import MemberSerializer
from tokens.models import Credential


@pytest.fixture
def two_corps(portal, client):
    """A member of corp A (星辰科技) and of corp B (青山教育), each with an API token."""
    portal.install(0)
    portal.install(1)

    def token_for(corp_index, userid):
        code = portal.oauth_code(corp_index, userid)
        response = client.post(
            "/api/v1/auth/sso/",
            {"suite_id": portal.suite.suite_id, "code": code},
            content_type="application/json",
        )
        return response.json()["token"]

    portal.a_token, portal.b_token = token_for(0, "lina"), token_for(1, "yanglei")
    for corp_index in (0, 1):  # fill the mirrors as change_contact would
        corp = portal.install(corp_index)
        for userid in portal.wecom.server.app.sandbox.corps[corp.corpid].members:
            portal.act(
                "change_contact",
                corp,
                change_type="update_user",
                data={"userid": userid, "position": "员工"},
            )
    return portal


def get(client, path, token, **params):
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_me_and_corp_describe_the_signed_in_member(two_corps, client):
    me = get(client, "/api/v1/me/", two_corps.a_token).json()
    assert me["userid"] == "lina" and me["corp"]["corp_name"] == "星辰科技"
    corp = get(client, "/api/v1/corp/", two_corps.a_token).json()
    assert corp["corpid"] == two_corps.wecom.corps[0]
    assert corp["agentid"] >= 1000002 and corp["edition_name"] == "专业版"
    assert corp["auth_scope"]["level"] == 1


def test_the_member_list_is_the_own_corp_paginated(two_corps, client):
    page = get(client, "/api/v1/corp/members/", two_corps.a_token).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 4
    assert {m["userid"] for m in page["results"]} == {"zhangwei", "wangfang", "lina", "liuyang"}
    other = get(client, "/api/v1/corp/members/", two_corps.b_token).json()
    assert {m["userid"] for m in other["results"]} == {"chenjing", "yanglei", "zhaomin"}


@pytest.fixture
def pages_of_three(monkeypatch):
    monkeypatch.setattr(CountedPagePagination, "page_size", 3)


def test_pages_of_members_read_as_the_member_serializer_writes_them(
    two_corps, client, pages_of_three
):
    """The list reads the serializer's fields straight from the rows: each page holds what
    MemberSerializer would write for the same members, and the total comes with the rows."""
    corp = two_corps.install(0)
    Member.objects.filter(corp=corp, userid="lina").update(
        departments=[1, 2], is_admin=True, gender=2, avatar="https://wework.qpic.cn/a/0"
    )
    expected = [MemberSerializer(m).data for m in Member.objects.filter(corp=corp).order_by(
        "name", "pk")]  # fmt: skip
    first = get(client, "/api/v1/corp/members/", two_corps.a_token).json()
    second = get(client, "/api/v1/corp/members/", two_corps.a_token, page=2).json()
    assert (first["count"], second["count"]) == (4, 4)
    assert first["previous"] is None and second["next"] is None and first["next"]
    assert first["results"] + second["results"] == expected
    last = get(client, "/api/v1/corp/members/", two_corps.a_token, page="last").json()
    assert last == second


# The last two: pages whose first row lies past any offset a database takes (a signed 64-bit
# integer), found by tests/oauth/test_schema_fuzz.py as a 500 (SQLite: "datatype mismatch").
TOO_FAR = [str(2**63 // 3 + 2), "27364259088725532012418818899968"]


@pytest.mark.parametrize("page", ["3", "0", "-1", "x", "", *TOO_FAR])
def test_a_page_that_does_not_exist_is_a_404_with_a_reason(two_corps, client, pages_of_three, page):
    response = get(client, "/api/v1/corp/members/", two_corps.a_token, page=page)
    if page == "":  # no page number: the first page
        assert response.status_code == 200 and response.json()["count"] == 4
        return
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["detail"]


def test_anonymous_and_staff_users_are_refused(two_corps, client, admin_user):
    assert client.get("/api/v1/me/").status_code in (401, 403)
    client.force_login(admin_user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403 and response.json()["detail"]


# --- isolation: every route that names an object, addressed at the other corp -----------------


def api_routes(patterns=None, prefix="", namespace=""):
    """(route, name, parameter names) for every URL of the member API (namespace ``api``), read
    from the URLconf. The staff API's scoping is tested with the staff API."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace == "api":
            yield route, pattern.name, tuple(pattern.pattern.converters)


# How to address each parameterised route at corp B's object. A new route must be added here.
OTHER_CORP_URL = {
    "member": lambda b: f"/api/v1/corp/members/{b.open_userid}/",
}


def test_every_route_with_a_parameter_is_covered():
    parameterised = {name for _, name, params in api_routes() if params}
    assert parameterised == set(OTHER_CORP_URL), "add new routes to OTHER_CORP_URL"


@pytest.mark.parametrize("name", sorted(OTHER_CORP_URL))
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_the_other_corps_objects_are_404_never_403(two_corps, client, name, method):
    b_member = Member.objects.get(userid="yanglei")
    url = OTHER_CORP_URL[name](b_member)
    response = getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {two_corps.a_token}")
    assert response.status_code in (404, 405)  # 405 for any id alike: it reveals nothing
    if method == "get":
        assert response.status_code == 404
    own = OTHER_CORP_URL[name](Member.objects.get(userid="wangfang"))
    assert getattr(client, method)(
        own, HTTP_AUTHORIZATION=f"Bearer {two_corps.a_token}"
    ).status_code in (
        200,
        405,
    )


def test_list_filters_cannot_reach_another_corp(two_corps, client):
    b_corpid = two_corps.wecom.corps[1]
    page = get(client, "/api/v1/corp/members/", two_corps.a_token, corp=b_corpid, corp_id=2).json()
    assert {m["userid"] for m in page["results"]} == {"zhangwei", "wangfang", "lina", "liuyang"}


def test_tenant_querysets_fail_closed():
    with pytest.raises(TenantScopeMissing):
        list(Member.tenant.all())
    with pytest.raises(TenantScopeMissing):
        Member.tenant.filter(name="x").count()
    with pytest.raises(TenantScopeMissing):
        Member.tenant.exists()


# --- JS-SDK ---------------------------------------------------------------------------------


def ticket(kind: str) -> str:
    return Credential.objects.get(kind=kind).value


def expected(ticket_value, block, url):
    nonce, stamp = block["nonceStr"], block["timestamp"]
    plain = f"jsapi_ticket={ticket_value}&noncestr={nonce}&timestamp={stamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


def test_jssdk_config_signs_exactly_the_given_url(two_corps, client):
    url = "http://127.0.0.1:8000/app/page?x=1&y=中文"
    response = get(client, "/api/v1/jssdk/config/", two_corps.a_token, url=url + "#/route")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"config", "agentConfig"}
    assert set(body["config"]) == {"appId", "timestamp", "nonceStr", "signature"}
    assert set(body["agentConfig"]) == {"corpid", "agentid", "timestamp", "nonceStr", "signature"}
    assert body["config"]["appId"] == body["agentConfig"]["corpid"] == two_corps.wecom.corps[0]
    assert body["config"]["signature"] == expected(ticket("jsapi"), body["config"], url)
    assert body["agentConfig"]["signature"] == expected(
        ticket("agent_config"), body["agentConfig"], url
    )


@pytest.mark.parametrize(
    "url", ["https://evil.example/page", "http://127.0.0.1:9999/page", "not a url", ""]
)
def test_jssdk_refuses_untrusted_or_missing_urls(two_corps, client, url):
    response = get(client, "/api/v1/jssdk/config/", two_corps.a_token, url=url)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_ninety_cold_requests_at_once_fetch_each_credential_once(two_corps, live_server):
    """Ninety, not a hundred: each request thread holds a database connection, and PostgreSQL's
    default max_connections is 100, the test's own connection and the sandbox's pushes included;
    past it the extra request is refused with 503 database_busy, which is not what this tests."""
    corp = Member.objects.get(userid="lina").corp
    Credential.objects.filter(corp=corp).delete()
    from django.core.cache import cache

    cache.clear()
    two_corps.wecom.reset_logs()
    barrier = threading.Barrier(90)
    statuses = []

    def ask():
        with requests.Session() as http:
            barrier.wait()
            response = http.get(
                f"{live_server.url}/api/v1/jssdk/config/",
                params={"url": "http://127.0.0.1:8000/page"},
                headers={"Authorization": f"Bearer {two_corps.a_token}"},
                timeout=120,
            )
            statuses.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(90)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert statuses == [200] * 90
    for endpoint in ("service/get_corp_token", "get_jsapi_ticket", "ticket/get"):
        assert len(two_corps.wecom.calls(endpoint)) == 1, endpoint


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    paths = document["paths"]
    assert {"/api/v1/auth/sso/", "/api/v1/me/", "/api/v1/jssdk/config/"} <= set(paths)
    assert "Error" in document["components"]["schemas"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger" in docs.content.decode().lower()
    assert urlsplit("/static/drf_spectacular_sidecar/").path in docs.content.decode()


def test_a_body_of_a_type_no_parser_reads_is_a_documented_415(client):
    """DRF refuses such a body before the view runs; the schema documents the 415 on every
    operation that takes a body (oauth.api.errors.document_unsupported_media_type)."""
    answer = client.post("/api/v1/auth/sso/", "code=x", content_type="text/plain")
    assert (answer.status_code, answer.json()["code"]) == (415, "unsupported_media_type")
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    with_body = [op for op in operations if "requestBody" in op]
    assert with_body and all("415" in op["responses"] for op in with_body)
    assert not any("415" in op["responses"] for op in operations if "requestBody" not in op)


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the token with its member, user, corp and licence state; the member's base account
        ("/api/v1/me/", 2),
        # the token join; both tickets come from the cache
        ("/api/v1/jssdk/config/?url=http://127.0.0.1:8000/app/page", 1),
        # the token join; the page's rows with the total
        ("/api/v1/corp/members/", 2),
    ],
)
def test_a_warm_member_request_makes_its_few_queries(
    two_corps, client, django_assert_num_queries, path, queries
):
    assert get(client, path, two_corps.a_token).status_code == 200  # warm: tickets, last use
    with django_assert_num_queries(queries):
        assert get(client, path, two_corps.a_token).status_code == 200


def test_the_token_join_is_prepared_on_postgresql_after_a_few_requests(two_corps, client):
    """Planning the five-table join cost ten times running it; a prepared statement is planned
    once per connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        assert get(client, "/api/v1/jssdk/config/?url=http://127.0.0.1:8000/p", two_corps.a_token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "oauth_apitoken"' in statement for statement in prepared)
