from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licences")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from callbacks.handlers import HANDLERS
        from licenses.handlers import LICENSE_HANDLERS

        HANDLERS.update(LICENSE_HANDLERS)
