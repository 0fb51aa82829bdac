from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project itself, as an app: it has no models, only process-wide hooks."""

    name = "isvportal"

    def ready(self) -> None:
        from isvportal import sqlite  # noqa: F401  (connects its signal receiver)
