from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Paid editions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing.handlers import ORDER_HANDLERS
        from callbacks.handlers import HANDLERS

        HANDLERS.update(ORDER_HANDLERS)
