from __future__ import annotations

import pytest

from corps.models import Member


def test_suites_give_the_operations_view(operation, admin_client):
    suites = {s["suite_id"]: s for s in admin_client.get("/api/v1/suites/").json()}
    suite = suites[operation.suite.suite_id]
    assert suite["ticket_fresh"] is True
    assert (suite["active_corps"], suite["cancelled_corps"]) == (2, 1)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", {"星辰科技", "青山教育", "海川物流"}),
        ("?status=cancelled", {"海川物流"}),
        ("?q=青山", {"青山教育"}),
        ("?edition=专业版&status=active", {"星辰科技", "青山教育"}),
        ("?installed_after=2000-01-01", {"星辰科技", "青山教育", "海川物流"}),
    ],
)
def test_corps_can_be_filtered(operation, admin_client, query, names):
    body = admin_client.get(f"/api/v1/corps/{query}").json()
    assert {c["corp_name"] for c in body["results"]} == names


@pytest.mark.parametrize("query", ["?status=deleted", "?installed_after=yesterday"])
def test_bad_filters_are_400(operation, admin_client, query):
    response = admin_client.get(f"/api/v1/corps/{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_a_register_code_is_created_through_wecom(operation, admin_client, settings):
    settings.WECOM_OPEN_BASE = operation.wecom.url
    response = admin_client.post(
        "/api/v1/register-codes/",
        {"template_id": "tpldemo001", "state": "q1"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["register_url"].endswith(body["register_code"])
    assert body["status"] == "pending" and body["state"] == "q1"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"template_id": "nope"}, 502),
        ({"template_id": "tpldemo001", "state": "has space"}, 400),
        ({}, 400),
    ],
)
def test_bad_register_code_requests(operation, admin_client, payload, status):
    response = admin_client.post(
        "/api/v1/register-codes/", payload, content_type="application/json"
    )
    assert response.status_code == status and response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/suites/", "/api/v1/corps/", "/api/v1/register-codes/"])
def test_members_get_403_on_staff_endpoints(operation, client, path):
    code = operation.oauth_code(0, "lina")
    token = client.post(
        "/api/v1/auth/sso/",
        {"suite_id": operation.suite.suite_id, "code": code},
        content_type="application/json",
    ).json()["token"]
    method = client.post if "register" in path else client.get
    assert method(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403
    assert Member.objects.exists()


@pytest.mark.parametrize("path", ["wecom/user/get", "media/"])
def test_a_content_length_that_is_not_a_number_is_a_400(client, service_key, path):
    """gunicorn refuses such a request itself; a server that passes it on got a 500 here."""
    response = client.post(
        f"/api/v1/corps/wpcorp/{path}", b"{}", content_type="application/json",
        CONTENT_LENGTH="many", HTTP_AUTHORIZATION=f"Bearer {service_key}",
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert response.json()["detail"] == "Content-Length is not a number."
