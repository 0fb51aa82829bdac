"""The WSGI application, as gunicorn (deploy/gunicorn.conf.py) and runserver load it."""

import os

from django.core.wsgi import get_wsgi_application

from isvportal import heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")
application = get_wsgi_application()
heap.freeze()  # see isvportal/heap.py
heap.freeze_when_warm()
