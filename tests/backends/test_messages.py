"""Messaging for backends over HTTP against the sandbox: any message WeCom takes is sent as the
corp's app and answered with WeCom's lists of who it missed; recall and template-card updates;
media checked against WeCom's limits before anything is uploaded."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(1024)


@pytest.fixture
def backend(service_api, corp):
    call = service_api("notifier")
    return lambda path, method="POST", **kwargs: call(
        f"corps/{corp.corpid}/{path}", method, **kwargs
    )


def test_a_markdown_message_goes_out_as_the_corps_app(portal, corp, backend):
    body = {"touser": "lina|ghost", "msgtype": "markdown", "agentid": 1,
            "markdown": {"content": "**今日**待办 3 项"}}  # fmt: skip
    answer = backend("messages/", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["invaliduser"] == ["ghost"] and answer.json()["msgid"]
    [sent] = portal.wecom.messages()
    assert (sent["msgtype"], sent["agentid"], sent["touser"]) == (
        "markdown",
        corp.agentid,
        ["lina"],
    )


def test_a_member_without_a_licence_is_named_in_the_answer(portal, corp, backend):
    portal.wecom.action("end_trial", suite_id=portal.suite.suite_id, corpid=corp.corpid)
    body = {"touser": "lina", "msgtype": "text", "text": {"content": "hi"}}
    answer = backend("messages/", json=body).json()
    assert len(answer["unlicenseduser"]) == 1 and answer["unlicenseduser"][0].startswith("wo")


def test_a_template_card_is_sent_updated_and_a_message_recalled(portal, backend):
    card = {"card_type": "text_notice", "main_title": {"title": "审批"}}
    sent = backend("messages/", json={"touser": "lina", "msgtype": "template_card",
                                       "template_card": card}).json()  # fmt: skip
    assert sent["response_code"]
    updated = backend(
        "messages/update-template-card/",
        json={"userids": ["lina"], "response_code": sent["response_code"],
              "button": {"replace_name": "已处理"}},
    )  # fmt: skip
    assert updated.status_code == 200 and updated.json() == {"invaliduser": []}
    assert backend(f"messages/{sent['msgid']}/recall/").status_code == 204
    [message] = portal.wecom.messages()
    assert message["recalled"] is True
    unknown = backend("messages/no-such-message/recall/")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "wecom_refused")
    assert "40058" in unknown.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{"touser": "lina", "msgtype": "telegram", "telegram": {}},
     {"touser": "lina", "msgtype": "text"},
     {"msgtype": "text", "text": {"content": "to nobody"}},
     ["not", "an", "object"]],
)  # fmt: skip
def test_a_malformed_message_is_refused_unsent(portal, backend, body):
    portal.wecom.reset_logs()
    answer = backend("messages/", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")
    assert portal.wecom.calls() == []


def test_wecoms_own_refusal_comes_back_with_its_errcode(backend):
    answer = backend("messages/", json={"touser": "ghost", "msgtype": "text",
                                        "text": {"content": "hi"}})  # fmt: skip
    assert (answer.status_code, answer.json()["code"]) == (400, "wecom_refused")
    assert "81013" in answer.json()["detail"]


def test_media_is_uploaded_within_wecoms_limits(portal, backend):
    answer = backend("media/", data={"type": "image"}, files={"media": ("chart.png", PNG)})
    assert answer.status_code == 201, answer.text
    assert answer.json()["type"] == "image" and answer.json()["media_id"]
    assert [c["endpoint"] for c in portal.wecom.calls("media/upload")] == ["media/upload"]


@pytest.mark.parametrize(
    ("media_type", "name", "content", "status", "code"),
    [("image", "big.png", b"\x89PNG" + bytes(10 * 1024 * 1024), 413, "media_too_large"),
     ("voice", "note.mp3", bytes(1024), 400, "invalid_media"),
     ("file", "empty.txt", b"12345", 400, "invalid_media"),
     ("sticker", "a.gif", bytes(100), 400, "invalid_media")],
)  # fmt: skip
def test_media_outside_wecoms_limits_is_refused_unsent(
    portal, backend, media_type, name, content, status, code
):
    portal.wecom.reset_logs()
    answer = backend("media/", data={"type": media_type}, files={"media": (name, content)})
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert portal.wecom.calls() == []


@pytest.mark.parametrize(
    "path",
    ["messages/", "messages/update-template-card/", "messages/1/recall/", "media/",
     "access-token/invalidate/"],
)  # fmt: skip
def test_a_get_where_only_post_is_taken_is_a_405_that_hands_out_no_token(portal, backend, path):
    """These views share the credential view's scoping, not its GET: once, a GET on each
    answered the corp's access token, or a 500 on the recall."""
    from oauth.models import CredentialGrant

    answer = backend(path, method="GET")
    assert (answer.status_code, answer.json()["code"]) == (405, "method_not_allowed")
    assert "access_token" not in answer.text
    assert not CredentialGrant.objects.exists()
