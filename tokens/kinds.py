"""What differs between a third-party app and a 代开发 (customized) template, in one place.

A third-party app's corp token comes from service/get_corp_token with the suite token, and its
members sign in with the suite token (getuserinfo3rd); its OAuth appid is the suite_id. A 代开发
app's corp token comes from gettoken with the permanent code as the corp secret, and its members
sign in with that corp token (auth/getuserinfo, auth/getuserdetail); its OAuth appid is the
customer's corpid with the app's agentid, so a sign-in must name the corp. Everything else —
tickets, install, cancel, secrets reset, JS-SDK, contacts — is the same for both. Only a 代开发
app has a state in the corp worth reading (published or not, disabled or not: agent/get).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from corps.models import AuthorizedCorp, Member, Suite
from tokens import services
from tokens.client import wecom_client
from wecom.client.agent_models import AgentInfo
from wecom.client.models import Credential, UserDetail, UserIdentity


class TenantKind(Protocol):
    needs_corp: bool  # does a sign-in have to name the corp?
    sells_editions: bool  # are its editions bought through WeCom (收银台 orders)?

    def corp_token(self, corp: AuthorizedCorp) -> Credential: ...

    def oauth_app(self, suite: Suite, corp: AuthorizedCorp | None) -> dict[str, str]: ...

    def identify(self, suite: Suite, corp: AuthorizedCorp | None, code: str) -> UserIdentity: ...

    def detail(self, suite: Suite, corp: AuthorizedCorp | None, user_ticket: str) -> UserDetail: ...

    def app_state(self, corp: AuthorizedCorp) -> AgentInfo | None: ...


class ThirdParty:
    needs_corp = False
    sells_editions = True

    def corp_token(self, corp: AuthorizedCorp) -> Credential:
        return services.suite_api(corp.suite).get_corp_token(
            auth_corpid=corp.corpid, permanent_code=corp.permanent_code
        )

    def oauth_app(self, suite: Suite, corp: AuthorizedCorp | None) -> dict[str, str]:
        return {"appid": suite.suite_id}

    def identify(self, suite: Suite, corp: AuthorizedCorp | None, code: str) -> UserIdentity:
        return services.suite_api(suite).getuserinfo3rd(code=code)

    def detail(self, suite: Suite, corp: AuthorizedCorp | None, user_ticket: str) -> UserDetail:
        return services.suite_api(suite).getuserdetail3rd(user_ticket=user_ticket)

    def app_state(self, corp: AuthorizedCorp) -> AgentInfo | None:
        return None  # the provider publishes a third-party app once, for every corp


class Customized:
    needs_corp = True
    sells_editions = False  # priced by contract between the provider and the corp

    def corp_token(self, corp: AuthorizedCorp) -> Credential:
        return wecom_client().tokens.gettoken(corpid=corp.corpid, corpsecret=corp.permanent_code)

    def oauth_app(self, suite: Suite, corp: AuthorizedCorp | None) -> dict[str, str]:
        assert corp is not None, "a 代开发 sign-in names its corp"
        return {"appid": corp.corpid, "agentid": str(corp.agentid or "")}

    def identify(self, suite: Suite, corp: AuthorizedCorp | None, code: str) -> UserIdentity:
        """auth/getuserinfo answers the (provider-scoped) userid; the member mirror, keyed by
        open_userid, knows which member that is."""
        assert corp is not None, "a 代开发 sign-in names its corp"
        identity = services.corp_api(corp).auth_getuserinfo(code=code)
        known = Member.objects.filter(corp=corp, userid=identity.userid).exclude(userid="")
        open_userid = identity.open_userid or next(
            iter(known.values_list("open_userid", flat=True)), identity.userid
        )
        return dataclasses.replace(identity, corpid=corp.corpid, open_userid=open_userid)

    def detail(self, suite: Suite, corp: AuthorizedCorp | None, user_ticket: str) -> UserDetail:
        assert corp is not None, "a 代开发 sign-in names its corp"
        return services.corp_api(corp).auth_getuserdetail(user_ticket=user_ticket)

    def app_state(self, corp: AuthorizedCorp) -> AgentInfo | None:
        """Each corp's 代开发 app is configured, reviewed and published on its own."""
        if corp.agentid is None:
            return None
        return services.corp_api(corp).agent_get(agentid=corp.agentid)


KINDS: dict[str, TenantKind] = {
    Suite.Kind.THIRDPARTY: ThirdParty(),
    Suite.Kind.CUSTOMIZED: Customized(),
}


def kind_of(suite: Suite) -> TenantKind:
    return KINDS[suite.kind]
