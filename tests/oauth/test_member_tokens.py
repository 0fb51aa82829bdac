"""A member's API token dies with the member: disabled or deleted in WeCom (change_contact from
the sandbox), or the Django user made inactive, and it answers 401. And one person is one member
whichever way they arrive first: contact sync, SSO or a change_contact callback."""

from __future__ import annotations

import pytest

from corps.models import Member


def token_for(sso, client, userid: str) -> str:
    code = sso.oauth_code(0, userid)
    response = client.post(
        "/api/v1/auth/sso/",
        {"suite_id": sso.suite.suite_id, "code": code},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def me(client, token: str):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")


def corp_of(sso):
    return Member.objects.get(userid="lina").corp


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"change_type": "update_user", "userid": "lina", "status": 2}, "disabled"),
        ({"change_type": "delete_user", "userid": "lina"}, "invalid"),
    ],
)
def test_a_member_disabled_or_deleted_in_wecom_loses_their_token(sso, client, change, reason):
    token = token_for(sso, client, "lina")
    assert me(client, token).status_code == 200
    sso.act("change_contact", corp_of(sso), **change)
    response = me(client, token)
    assert response.status_code == 401 and reason in response.json()["detail"]


def test_an_inactive_django_user_loses_their_token(sso, client):
    token = token_for(sso, client, "lina")
    member = Member.objects.get(userid="lina")
    type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    assert me(client, token).status_code == 401


class TestOneIdentity:
    """Each pair of paths by which one person reaches the mirror leaves one member row."""

    def test_contact_sync_then_sso(self, sso, client):
        synced = Member.objects.get(userid="lina")  # the install's contact sync
        token_for(sso, client, "lina")
        assert Member.objects.get(userid="lina").pk == synced.pk

    def test_contact_sync_then_callback(self, sso):
        synced = Member.objects.get(userid="lina")
        sso.act("change_contact", synced.corp, change_type="update_user", userid="lina",
                name="李娜娜")  # fmt: skip
        assert Member.objects.get(userid="lina").pk == synced.pk

    def test_sso_then_callback_and_contact_sync(self, sso, client):
        corp = corp_of(sso)
        Member.objects.filter(corp=corp).delete()  # as before the first sync
        token_for(sso, client, "lina")
        sso.act("change_contact", corp, change_type="update_user", userid="lina", name="李娜娜")
        from tokens.authorization import corp_contacts_sync

        corp_contacts_sync(corp=corp)
        member = Member.objects.get(corp=corp, userid="lina")
        assert member.name == "李娜娜" and member.user is not None

    def test_callback_then_sso(self, sso, client):
        corp = corp_of(sso)
        sso.act("change_contact", corp, change_type="create_user", userid="newbie", name="新人")
        token_for(sso, client, "newbie")
        assert Member.objects.filter(corp=corp, userid="newbie").count() == 1
