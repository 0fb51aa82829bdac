"""Run a corp's ID upgrade: check every mirrored userid against its open_userid, then tell WeCom
the migration is finished (the apps then receive only upgraded ids)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp
from tokens.ids import corp_ids_upgrade
from tokens.refusals import refusal_for


class Command(BaseCommand):
    help = _("Finish a corp's ID upgrade (userid, corpid and external ids) in WeCom.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("corpid")
        parser.add_argument("--suite", help=_("the suite_id, when the corp installed several"))

    def handle(self, *args: Any, **options: Any) -> None:
        corps = AuthorizedCorp.objects.filter(corpid=options["corpid"], status="active")
        if options["suite"]:
            corps = corps.filter(suite__suite_id=options["suite"])
        corp = corps.select_related("suite__provider").order_by("pk").first()
        if corp is None:
            raise CommandError(_("No active install of corp %(corpid)s.") % options)
        try:
            result = corp_ids_upgrade(corp)
        except Exception as error:  # WeCom's refusal, said plainly
            refusal = refusal_for(error)
            if refusal is None:
                raise
            raise CommandError(refusal.detail) from None
        done = _("%(corpid)s: ID upgrade finished; %(n)s members checked, %(bad)s not converted.")
        self.stdout.write(done % {"corpid": corp.corpid, "n": len(result.mapping),
                                  "bad": len(result.invalid)})  # fmt: skip
