"""Re-encrypt every secret at rest with the newest FIELD_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from corps.fields import EncryptedTextField, keyring, newest_key


def encrypted_columns() -> list[tuple[type[Model], list[str]]]:
    """Every model with encrypted fields, and those fields' columns."""
    found = []
    for model in apps.get_models():
        columns = [
            f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if columns:
            found.append((model, columns))
    return found


class Command(BaseCommand):
    help = _(
        "Re-encrypt every secret with the newest key of FIELD_ENCRYPTION_KEYS, in batches. "
        "Safe to interrupt and run again: values already under the newest key are skipped. "
        "Remove an old key only after this has finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch_size"]
        if batch < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        total = 0
        for model, columns in encrypted_columns():
            rotated = self.rotate_model(model, columns, batch)
            total += rotated
            self.stdout.write(
                _("%(model)s: %(count)d values re-encrypted.")
                % {"model": model._meta.label, "count": rotated}
            )
        self.stdout.write(self.style.SUCCESS(_("Done: %(count)d values.") % {"count": total}))

    def rotate_model(self, model: type[Model], columns: list[str], batch: int) -> int:
        """Walk the table in primary-key order, one transaction per batch, on raw ciphertext
        (the field would decrypt it)."""
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        select = (
            f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table} "  # noqa: S608
            f"WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
        )
        newest, everything = newest_key(), keyring()
        last, rotated = None, 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last if last is not None else -1, batch])
                rows = cursor.fetchall()
                for row in rows:
                    rotated += self.rotate_row(cursor, model, columns, row, newest, everything)
            if len(rows) < batch:
                return rotated
            last = rows[-1][0]

    def rotate_row(
        self,
        cursor: Any,
        model: type[Model],
        columns: list[str],
        row: Any,
        newest: Any,
        everything: Any,
    ) -> int:
        quote = connection.ops.quote_name
        changes = {}
        for column, value in zip(columns, row[1:], strict=True):
            if not value:
                continue
            token = value.encode()
            try:
                newest.decrypt(token)
                continue  # already under the newest key
            except InvalidToken:
                pass
            try:
                changes[column] = everything.rotate(token).decode()
            except InvalidToken:
                raise CommandError(
                    _("%(model)s #%(pk)s: %(column)s decrypts with no configured key.")
                    % {"model": model._meta.label, "pk": row[0], "column": column}
                ) from None
        if changes:
            assignments = ", ".join(f"{quote(c)} = %s" for c in changes)
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(model._meta.pk.column)} = %s",
                [*changes.values(), row[0]],
            )
        return len(changes)
