"""The isvportal Django project: settings, root URLs, the Celery app, health checks."""

from isvportal.celery import app as celery_app

__all__ = ["celery_app"]
