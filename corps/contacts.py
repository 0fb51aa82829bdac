"""Writes to a corp's mirror of its contacts (from change_contact events and resyncs).

Changes carry WeCom's time. Events can arrive late or twice, so a member keeps the time of the
newest change applied and a deleted member leaves a tombstone: an older change is ignored, and
never brings a deleted member back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from corps.models import AuthorizedCorp, Department, Member, MemberTombstone

MEMBER_FIELDS = ("userid", "name", "avatar", "gender", "position", "departments", "status")


@transaction.atomic
def member_upsert(*, corp: AuthorizedCorp, open_userid: str, **fields: Any) -> Member:
    """Create or update a member by open_userid; only the fields given change (WeCom's update
    events carry only what changed)."""
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not member fields: {sorted(unknown)}")
    member, _ = Member.objects.select_for_update().get_or_create(corp=corp, open_userid=open_userid)
    member.corp = corp  # the same row: its callers read it, and need not load it again
    _save_given(member, fields)
    return member


@transaction.atomic
def member_change_apply(
    *, corp: AuthorizedCorp, open_userid: str, changed_at: datetime, **fields: Any
) -> bool:
    """Apply a change WeCom made at ``changed_at``, unless a newer change or a later deletion
    of the member was applied already; returns whether it was applied."""
    member = Member.objects.select_for_update().filter(corp=corp, open_userid=open_userid).first()
    if member is not None and member.changed_at is not None and changed_at < member.changed_at:
        return False
    tombstones = MemberTombstone.objects.filter(corp=corp, open_userid=open_userid)
    if tombstones.filter(deleted_at__gte=changed_at).exists():
        return False
    tombstones.delete()
    member = member_upsert(corp=corp, open_userid=open_userid, **fields)
    Member.objects.filter(pk=member.pk).update(changed_at=changed_at)
    return True


def _save_given(instance: Member | Department, values: dict[str, Any]) -> None:
    """Set the values a change event carried (None: not carried) and save those that differ.
    A sign-in, or an event delivered again, that changes nothing writes nothing."""
    changed = [
        name
        for name, value in values.items()
        if value is not None and getattr(instance, name) != value
    ]
    if not changed:
        return
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=[*changed, "updated_at"])


@transaction.atomic
def member_delete(*, corp: AuthorizedCorp, open_userid: str, changed_at: datetime) -> int:
    """WeCom deleted the member at ``changed_at``: remove it, unless it changed since (it was
    re-added), and remember the deletion."""
    members = Member.objects.select_for_update().filter(corp=corp, open_userid=open_userid)
    member = members.first()
    if member is not None and member.changed_at is not None and member.changed_at > changed_at:
        return 0
    tombstone, created = MemberTombstone.objects.get_or_create(
        corp=corp, open_userid=open_userid, defaults={"deleted_at": changed_at}
    )
    if not created and tombstone.deleted_at < changed_at:
        tombstone.deleted_at = changed_at
        tombstone.save(update_fields=["deleted_at"])
    deleted, _ = members.delete()
    return deleted


@transaction.atomic
def department_upsert(
    *,
    corp: AuthorizedCorp,
    department_id: int,
    name: str | None = None,
    parent_id: int | None = None,
    order: int | None = None,
) -> Department:
    department, _ = Department.objects.select_for_update().get_or_create(
        corp=corp, department_id=department_id
    )
    _save_given(department, {"name": name, "parent_id": parent_id, "order": order})
    return department


def department_delete(*, corp: AuthorizedCorp, department_id: int) -> int:
    deleted, _ = Department.objects.filter(corp=corp, department_id=department_id).delete()
    return deleted


@transaction.atomic
def corp_admins_set(*, corp: AuthorizedCorp, open_userids: Iterable[str]) -> int:
    """Mark exactly these members as the app's admins; returns how many are admins now."""
    admins = set(open_userids)
    Member.objects.filter(corp=corp, is_admin=True).exclude(open_userid__in=admins).update(
        is_admin=False
    )
    for open_userid in admins:
        Member.objects.get_or_create(corp=corp, open_userid=open_userid)
    return Member.objects.filter(corp=corp, open_userid__in=admins).update(is_admin=True)


@transaction.atomic
def contacts_replace(
    *,
    corp: AuthorizedCorp,
    departments: Iterable[dict[str, Any]],
    members: Iterable[dict[str, Any]],
    as_of: datetime,
) -> tuple[int, int]:
    """Make the mirror exactly the given lists (a full resync); returns (departments, members).
    Members are keyed by ``open_userid``; links to Django users survive. The lists are WeCom's
    state ``as_of`` (when they were read, in whole seconds like WeCom's own times): a change
    event older than that no longer applies."""
    department_ids = []
    for department in departments:
        department_upsert(corp=corp, **department)
        department_ids.append(department["department_id"])
    Department.objects.filter(corp=corp).exclude(department_id__in=department_ids).delete()
    open_userids = []
    for member in members:
        member_change_apply(corp=corp, changed_at=as_of, **member)
        open_userids.append(member["open_userid"])
    Member.objects.filter(corp=corp).exclude(open_userid__in=open_userids).delete()
    return len(department_ids), len(open_userids)
