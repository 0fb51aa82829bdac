"""The Celery app. Broker and behaviour come from settings (the CELERY_ namespace): Redis with
REDIS_URL, kombu's filesystem transport under var/ without it, in-process when eager."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")

app = Celery("isvportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
