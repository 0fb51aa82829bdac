"""Read every install's licences from WeCom now (what the daily beat task does), then apply the
suites' reminder and renewal policies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp
from licenses.policies import corp_watch
from licenses.services import accounts_of, corp_license_sync
from tokens.refusals import refusal_for


class Command(BaseCommand):
    help = _("Sync licences (orders, codes, trials) from WeCom for active installs.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpid", help=_("only this corp"))
        parser.add_argument("--suite", help=_("only installs of this suite_id"))

    def handle(self, *args: Any, **options: Any) -> None:
        corps = AuthorizedCorp.objects.filter(status=AuthorizedCorp.Status.ACTIVE)
        if options["corpid"]:
            corps = corps.filter(corpid=options["corpid"])
        if options["suite"]:
            corps = corps.filter(suite__suite_id=options["suite"])
        corps = corps.select_related("suite__provider").order_by("pk")
        if not corps.exists():
            raise CommandError(_("No active install matches."))
        failed = 0
        for corp in corps:
            try:
                corp_license_sync(corp)
                corp_watch(corp)
            except Exception as error:  # one corp's refusal must not stop the others
                refusal = refusal_for(error)
                if refusal is None:
                    raise
                failed += 1
                self.stderr.write(f"{corp.corpid}: {refusal.detail}")
                continue
            counts = accounts_of(corp)
            line = _("%(corpid)s: %(active)s active, %(available)s available, "
                     "%(expiring_30d)s expire in 30 days")  # fmt: skip
            self.stdout.write(line % {"corpid": corp.corpid, **counts})
        if failed:
            raise CommandError(_("%(n)s corps could not be synced.") % {"n": failed})
