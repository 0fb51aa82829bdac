from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = _("Operations console")

    def ready(self) -> None:
        from console import admin  # noqa: F401  registers every model on the console site
