"""Licence sync in the background: on demand, and daily for every active install."""

from __future__ import annotations

from celery import shared_task

from corps.models import AuthorizedCorp
from licenses.policies import corp_watch
from licenses.services import corp_license_sync


@shared_task
def sync_corp_license(corp_id: int) -> None:
    """The install's licences as WeCom has them, then the policy's reminders and renewal."""
    corp = AuthorizedCorp.objects.filter(pk=corp_id).select_related("suite__provider").first()
    if corp is not None and corp.is_active:
        corp_license_sync(corp)
        corp_watch(corp)


@shared_task
def sync_all_licenses() -> int:
    """Queue one sync per active install; WeCom's rate limit is per corp, so they spread."""
    ids = AuthorizedCorp.objects.filter(status=AuthorizedCorp.Status.ACTIVE).values_list(
        "pk", flat=True
    )
    for corp_id in ids:
        sync_corp_license.delay(corp_id)
    return len(ids)
