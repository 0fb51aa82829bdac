"""Console roles from WeCom's admin levels, and the permissions each role's group holds.

get_login_info reports how the person who scanned the provider's login QR code administers the
provider corp (usertype): 1 creator and 2 internal admin own the console; 3 external admin and 4
分级管理员 (who manage only part of the corp in WeCom) operate it; 5, a plain member, is refused.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.utils.translation import gettext_lazy

from oauth.models import Role

ROLE_OF_USERTYPE = {1: Role.OWNER, 2: Role.OWNER, 3: Role.OPERATOR, 4: Role.OPERATOR}
USERTYPE_NAMES = {
    1: gettext_lazy("creator"),
    2: gettext_lazy("internal admin"),
    3: gettext_lazy("external admin"),
    4: gettext_lazy("sub-admin (分级管理员)"),
    5: gettext_lazy("member"),
}

# Owners: everything about the provider's tenants, its suites and secrets, its staff accounts
# (not the groups themselves, which every provider shares) and its service accounts; their own
# provider, but not another one.
OWNER_APPS = ("corps", "tokens", "callbacks", "licenses", "billing", "webhooks", "oauth")
OWNER_EXTRA = ("auth.view_user", "auth.change_user", "auth.view_group")
OWNER_NOT = ("corps.add_provider", "corps.delete_provider")
# Operators: the tenants and what acts on them (resync, refresh, replay, register codes, licence
# sync and activation); no providers, no suite secrets, no users, groups, service accounts or key
# rotation, no licence budgets or policies; webhook endpoints and deliveries to look at only.
OPERATOR_PERMISSIONS = (
    "corps.view_suite",
    "corps.view_authorizedcorp",
    "corps.view_member",
    "corps.view_department",
    "corps.view_registercode",
    "corps.add_registercode",
    "tokens.view_credential",
    "callbacks.view_callbackevent",
    "licenses.view_licenseorder",
    "licenses.view_activecode",
    "licenses.view_corplicense",
    "licenses.view_unlicensedattempt",
    "licenses.view_licensepolicy",
    "billing.view_apporder",
    "webhooks.view_endpoint",
    "webhooks.view_message",
    "webhooks.view_delivery",
    "webhooks.view_attempt",
)


def role_for_usertype(usertype: int) -> Role | None:
    return ROLE_OF_USERTYPE.get(usertype)


def _name(permission: Any) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def role_groups_sync(apps: Any = global_apps, **_: Any) -> None:
    """Give each role's group exactly its permissions. Run by oauth's migration 0003 and after
    every migrate (post_migrate), so models added later are covered."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for label in ("auth", *OWNER_APPS):
        create_permissions(global_apps.get_app_config(label), apps=apps, verbosity=0)
    permissions = Permission.objects.select_related("content_type")
    wanted = {
        Role.OWNER: [
            p
            for p in permissions
            if (p.content_type.app_label in OWNER_APPS or _name(p) in OWNER_EXTRA)
            and _name(p) not in OWNER_NOT
        ],
        Role.OPERATOR: [p for p in permissions if _name(p) in OPERATOR_PERMISSIONS],
    }
    for role, granted in wanted.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(granted)
