from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from corps.models import Suite
from corps.services import suite_upsert


class Command(BaseCommand):
    help = _(
        "Create or update a suite (third-party app or 代开发 template) with its secret and "
        "callback settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("suite_id", help=_("the suite_id"))
        parser.add_argument("--provider", required=True, help=_("the provider's corpid"))
        parser.add_argument("--secret", required=True, help=_("the suite secret"))
        parser.add_argument("--token", required=True, help=_("command callback Token"))
        parser.add_argument("--aes-key", required=True, help=_("command callback EncodingAESKey"))
        parser.add_argument("--name", default="", help=_("a display name"))
        parser.add_argument(
            "--install-mode",
            choices=Suite.InstallMode.values,
            help=_("formal, or test for test authorizations of an unpublished app"),
        )
        parser.add_argument(
            "--kind",
            choices=Suite.Kind.values,
            help=_("thirdparty (the default) or customized for a 代开发 template"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            suite, created = suite_upsert(
                suite_id=options["suite_id"],
                provider_corpid=options["provider"],
                secret=options["secret"],
                token=options["token"],
                encoding_aes_key=options["aes_key"],
                name=options["name"],
                install_mode=options["install_mode"],
                kind=options["kind"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        message = _("Created suite %(suite)s.") if created else _("Updated suite %(suite)s.")
        self.stdout.write(self.style.SUCCESS(message % {"suite": suite.suite_id}))
