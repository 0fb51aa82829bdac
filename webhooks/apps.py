from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing.signals import edition_changed
        from callbacks.signals import app_event, event_processed
        from corps.signals import platform_event
        from webhooks import receivers

        event_processed.connect(receivers.on_event_processed, dispatch_uid="webhooks")
        platform_event.connect(receivers.on_platform_event, dispatch_uid="webhooks")
        edition_changed.connect(receivers.on_edition_changed, dispatch_uid="webhooks")
        app_event.connect(receivers.on_app_event, dispatch_uid="webhooks")
