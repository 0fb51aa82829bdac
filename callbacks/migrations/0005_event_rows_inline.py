"""Keep event rows of up to a page inline on PostgreSQL.

A row over ~2 KB (a contact event: its raw envelope and its encrypted XML, each about 1.4 times
the XML) was compressed, which fails on base64 ciphertext, and then moved out of line: a second
INSERT into the TOAST table and its index on every callback. With the threshold at a full page
the row stays in the heap; measured on 2.6 KB rows, the server's CPU per INSERT went from 143
to 123 µs. Other databases are left as they are.
"""

from django.db import migrations

TOAST_TUPLE_TARGET = 8160  # the largest PostgreSQL allows with 8 KB pages


def _alter(apps, schema_editor, clause: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("callbacks", "CallbackEvent")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} {clause}")


def keep_inline(apps, schema_editor):
    _alter(apps, schema_editor, f"SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")


def reset(apps, schema_editor):
    _alter(apps, schema_editor, "RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0004_lean_event_row")]

    operations = [migrations.RunPython(keep_inline, reset)]
