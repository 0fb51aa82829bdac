from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OAuthConfig(AppConfig):
    name = "oauth"
    verbose_name = _("Sign-in and API")
    default_auto_field = "django.db.models.BigAutoField"
