from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorpsConfig(AppConfig):
    name = "corps"
    verbose_name = _("Tenants")
    default_auto_field = "django.db.models.BigAutoField"
