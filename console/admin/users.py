"""Console users and the role groups. A provider's owner sees and can disable that provider's
staff accounts, but cannot grant anything: roles come from WeCom at every sign-in, and the
privilege fields are for superusers only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from console.admin.common import ConsoleAdmin
from console.site import site

PRIVILEGE_FIELDS = ("username", "is_staff", "is_superuser", "groups", "user_permissions")


class ConsoleUserAdmin(ConsoleAdmin, UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if getattr(request.user, "is_superuser", False):
            return readonly
        return (*readonly, *PRIVILEGE_FIELDS)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Staff sign in with WeCom; a password would let one staff member act as another."""
        if not getattr(request.user, "is_superuser", False):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


site.register(User, ConsoleUserAdmin)
site.register(Group, GroupAdmin)
