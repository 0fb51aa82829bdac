"""The portal's own WSGI module (isvportal/wsgi.py), on the bench settings."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from isvportal.wsgi import application

__all__ = ["application"]
