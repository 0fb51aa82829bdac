"""Writes to a corp's mirror of its contacts (from change_contact events and resyncs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from corps.models import AuthorizedCorp, Department, Member

MEMBER_FIELDS = ("userid", "name", "avatar", "gender", "position", "departments", "status")


@transaction.atomic
def member_upsert(*, corp: AuthorizedCorp, open_userid: str, **fields: Any) -> Member:
    """Create or update a member by open_userid; only the fields given change (WeCom's update
    events carry only what changed)."""
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not member fields: {sorted(unknown)}")
    member, _ = Member.objects.select_for_update().get_or_create(corp=corp, open_userid=open_userid)
    _save_given(member, fields)
    return member


def _save_given(instance: Member | Department, values: dict[str, Any]) -> None:
    """Set the values a change event carried (None: not carried) and save."""
    for name, value in values.items():
        if value is not None:
            setattr(instance, name, value)
    instance.save()


def member_delete(*, corp: AuthorizedCorp, open_userid: str) -> int:
    deleted, _ = Member.objects.filter(corp=corp, open_userid=open_userid).delete()
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
) -> tuple[int, int]:
    """Make the mirror exactly the given lists (a full resync); returns (departments, members).
    Members are keyed by ``open_userid``; links to Django users survive."""
    department_ids = []
    for department in departments:
        department_upsert(corp=corp, **department)
        department_ids.append(department["department_id"])
    Department.objects.filter(corp=corp).exclude(department_id__in=department_ids).delete()
    open_userids = []
    for member in members:
        member_upsert(corp=corp, **member)
        open_userids.append(member["open_userid"])
    Member.objects.filter(corp=corp).exclude(open_userid__in=open_userids).delete()
    return len(department_ids), len(open_userids)
