"""What a drill's own processes (workers, a crowd of callers) need to share the test's world."""

from __future__ import annotations

from django.db import connection


def subprocess_database_url() -> str:
    """The DATABASE_URL of the database this test runs on, for a subprocess to use."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
