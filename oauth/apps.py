from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OAuthConfig(AppConfig):
    name = "oauth"
    verbose_name = _("Sign-in and API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from oauth.roles import role_groups_sync

        # Once per migrate (the signal is sent for every app); the sync makes the permissions
        # of every app it needs itself.
        post_migrate.connect(role_groups_sync, sender=self, dispatch_uid="oauth.role_groups_sync")
