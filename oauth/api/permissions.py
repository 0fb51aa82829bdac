from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from corps.models import Member
from licenses.services import LICENSE_REQUIRED, license_required, unlicensed_record


class CorpCancelled(exceptions.PermissionDenied):
    default_detail = _("Your corp's authorization of this app was cancelled.")
    default_code = "authorization_cancelled"


class LicenseRequired(exceptions.PermissionDenied):
    default_detail = LICENSE_REQUIRED
    default_code = "license_required"


def member_of(request: Request) -> Member | None:
    member = getattr(request.user, "wecom_member", None) if request.user.is_authenticated else None
    return member if isinstance(member, Member) else None


class IsTenantMember(permissions.BasePermission):
    """A signed-in member of an active corp. The tenant is resolved once, here, and set on the
    view as ``view.member`` / ``view.corp`` (see TenantView); a cancelled corp's tokens stop
    working."""

    message = _("This endpoint is for members of a corp that installed the app.")

    def has_permission(self, request: Request, view: Any) -> bool:
        member = member_of(request)
        if member is None:
            return False
        if not member.corp.is_active:
            raise CorpCancelled()
        if license_required(member):
            unlicensed_record(member.corp, member.open_userid)
            raise LicenseRequired()
        view.member, view.corp = member, member.corp
        return True
