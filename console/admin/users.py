"""Console users and the role groups. A provider's owner sees and can disable that provider's
staff accounts, but cannot grant anything: roles come from WeCom at every sign-in, and the
privilege fields are for superusers only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from console.admin.common import ConsoleAdmin
from console.site import site

PRIVILEGE_FIELDS = ("username", "is_staff", "is_superuser", "groups", "user_permissions")
# Django stores a permission's name in English when it migrates; its label is made in the
# reader's language from the model's verbose name instead.
PERMISSION_ACTIONS = {
    "add": _("Can add %(object)s"),
    "change": _("Can change %(object)s"),
    "delete": _("Can delete %(object)s"),
    "view": _("Can view %(object)s"),
}


def permission_label(permission: Permission) -> str:
    action, _sep, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    template = PERMISSION_ACTIONS.get(action)
    if template is None or model is None or model._meta.model_name != model_name:
        return str(permission)
    return f"{permission.content_type} | {template % {'object': model._meta.verbose_name}}"


class PermissionChoices(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


class TranslatedPermissions:
    """Permission pickers and read-only permission lists labelled in the reader's language."""

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.remote_field.model is Permission:
            kwargs["form_class"] = PermissionChoices
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin


class ConsoleUserAdmin(TranslatedPermissions, ConsoleAdmin, UserAdmin):
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


class ConsoleGroupAdmin(TranslatedPermissions, GroupAdmin):
    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if self.has_change_permission(request, obj):
            return ["name", "permissions"]
        return ["name", "permission_list"]

    @admin.display(description=_("permissions"))
    def permission_list(self, group: Group) -> str:
        permissions = group.permissions.select_related("content_type")
        return "\n".join(sorted(permission_label(p) for p in permissions))


site.register(User, ConsoleUserAdmin)
site.register(Group, ConsoleGroupAdmin)
