"""Server-rendered pages with Django's template engine and translation functions.

The sandbox is not a Django project: standalone it configures just enough of Django for
templates and gettext; inside a process that already runs Django (the portal's test suite) it
uses the settings already there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.template import Context, Engine
from django.utils import translation
from werkzeug.wrappers import Response

HERE = Path(__file__).parent
_engine: Engine | None = None


def ensure_django() -> None:
    if not settings.configured:
        settings.configure(
            USE_I18N=True,
            USE_TZ=True,
            LANGUAGE_CODE=os.environ.get("LANGUAGE_CODE", "en-us"),
            LANGUAGES=[("en", "English"), ("zh-hans", "简体中文")],
            LOCALE_PATHS=[HERE.parent / "locale"],
            INSTALLED_APPS=[],
        )
        django.setup()


def engine() -> Engine:
    global _engine
    if _engine is None:
        ensure_django()
        _engine = Engine(
            dirs=[str(HERE / "templates")],
            libraries={"i18n": "django.templatetags.i18n"},
            autoescape=True,
        )
    return _engine


def render(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("LANGUAGE_CODE", translation.get_language() or settings.LANGUAGE_CODE)
    html = engine().get_template(f"sandbox/{template}").render(Context(context))
    return Response(html, status=status, mimetype="text/html")


def error_page(message: str, status: int = 400) -> Response:
    return render("error.html", status=status, message=message)
