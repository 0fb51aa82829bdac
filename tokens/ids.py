"""ID conversion for a tenant (API-business.md §4): plain userids to open_userids, corp-scoped
external_userids to the provider's, and the corp's ID upgrade, which WeCom is told is finished."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from corps.models import AuthorizedCorp, Member
from tokens.services import corp_api, provider_api

log = logging.getLogger(__name__)
BATCH = 1000  # WeCom's limit per conversion call


@dataclass(frozen=True)
class IdConversion:
    mapping: dict[str, str] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)


def _batched(ids: Sequence[str], convert: Callable[[list[str]], dict[str, str]]) -> IdConversion:
    mapping: dict[str, str] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), BATCH):
        mapping.update(convert(unique[start : start + BATCH]))
    return IdConversion(mapping, [i for i in unique if i not in mapping])


def userids_to_open(corp: AuthorizedCorp, userids: Sequence[str]) -> IdConversion:
    """Plain userids → open_userids (WeCom), remembered on the member mirror."""
    api = corp_api(corp)
    result = _batched(
        userids, lambda chunk: dict(api.userid_to_openuserid(userid_list=chunk).mapping)
    )
    for userid, open_userid in result.mapping.items():
        Member.objects.filter(corp=corp, open_userid=open_userid, userid="").update(userid=userid)
    return result


def open_userids_to_plain(corp: AuthorizedCorp, open_userids: Sequence[str]) -> IdConversion:
    """open_userids → userids from the member mirror, where WeCom gave both (WeCom offers the
    reverse call only to the corp's own self-built apps)."""
    known = dict(
        Member.objects.filter(corp=corp, open_userid__in=list(open_userids))
        .exclude(userid="")
        .values_list("open_userid", "userid")
    )
    unique = list(dict.fromkeys(open_userids))
    return IdConversion(known, [i for i in unique if i not in known])


def external_userids_upgrade(corp: AuthorizedCorp, external_userids: Sequence[str]) -> IdConversion:
    """Corp-scoped external_userids → the provider-scoped ones."""
    api = corp_api(corp)
    return _batched(
        external_userids,
        lambda chunk: dict(api.get_new_external_userid(external_userid_list=chunk).mapping),
    )


def corp_ids_upgrade(corp: AuthorizedCorp) -> IdConversion:
    """A historic corp's ID upgrade: every mirrored member's userid is checked against its
    open_userid, then WeCom is told the migration of user, corp and external ids is finished.
    Irreversible on WeCom's side: from then on the apps receive only upgraded ids."""
    plain = list(
        Member.objects.filter(corp=corp).exclude(userid="").values_list("userid", flat=True)
    )
    result = userids_to_open(corp, plain) if plain else IdConversion()
    provider_api(corp.suite.provider).finish_openid_migration(
        corpid=corp.corpid, openid_types=[1, 3]
    )
    AuthorizedCorp.objects.filter(pk=corp.pk).update(ids_upgraded_at=timezone.now())
    log.info("ids upgraded", extra={"corpid": corp.corpid, "members": len(result.mapping)})
    return result
