from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from corps.services import provider_upsert


class Command(BaseCommand):
    help = _("Create or update the provider (服务商) with its secret and callback settings.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("corpid", help=_("the provider's corpid"))
        parser.add_argument("--secret", required=True, help=_("the provider secret"))
        parser.add_argument("--token", default="", help=_("system event callback Token"))
        parser.add_argument("--aes-key", default="", help=_("system event EncodingAESKey"))
        parser.add_argument("--name", default="", help=_("a display name"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            provider, created = provider_upsert(
                corpid=options["corpid"],
                secret=options["secret"],
                token=options["token"],
                encoding_aes_key=options["aes_key"],
                name=options["name"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        message = (
            _("Created provider %(corpid)s.") if created else _("Updated provider %(corpid)s.")
        )
        self.stdout.write(self.style.SUCCESS(message % {"corpid": provider.corpid}))
