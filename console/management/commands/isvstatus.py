"""Every suite (ticket age, token expiry) and every corp (status, token expiry)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.models import AuthorizedCorp, Suite
from licenses.services import license_counts
from tokens.models import Credential
from tokens.selectors import expiries


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in the deployment's TIME_ZONE, with its offset."""
    return timezone.localtime(value).isoformat() if value else None


def status_report() -> dict[str, list[dict[str, Any]]]:
    """The shape of ``isvstatus --json`` (SPEC §3 contract)."""
    now = timezone.now()
    suite_tokens = expiries(Credential.Kind.SUITE)
    corp_tokens = expiries(Credential.Kind.CORP)
    suites = [
        {
            "suite_id": suite.suite_id,
            "name": suite.name,
            "kind": suite.kind,
            "provider_corpid": suite.provider.corpid,
            "ticket_age_seconds": None
            if suite.ticket_age(now) is None
            else int(suite.ticket_age(now) or 0),
            "ticket_fresh": suite.ticket_is_fresh(now),
            "token_expires_at": _iso(suite_tokens.get(suite.pk)),
        }
        for suite in Suite.objects.select_related("provider")
        .only("suite_id", "name", "kind", "suite_ticket_at", "provider__corpid")
        .order_by("suite_id")
    ]
    installs = list(
        AuthorizedCorp.objects.order_by("suite__suite_id", "corpid")
        .select_related("suite")
        .only("pk", "suite__suite_id", "corpid", "corp_name", "status")
    )
    licenses = license_counts(installs)
    corps = [
        {
            "suite_id": corp.suite.suite_id,
            "corpid": corp.corpid,
            "corp_name": corp.corp_name,
            "status": corp.status,
            "token_expires_at": _iso(corp_tokens.get(corp.pk)),
            "license": {
                **asdict(licenses[corp.pk]),
                "trial_end": _iso(licenses[corp.pk].trial_end),
            },
        }
        for corp in installs
    ]
    return {"suites": suites, "corps": corps}


class Command(BaseCommand):
    help = _("Show every suite (ticket age, token expiry) and corp (status, token expiry).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help=_("print one JSON object"))

    def handle(self, *args: Any, **options: Any) -> None:
        report = status_report()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(_("Suites"))
        if not report["suites"]:
            self.stdout.write("  " + _("none: add one with addsuite"))
        for suite in report["suites"]:
            age = suite["ticket_age_seconds"]
            ticket = _("no ticket yet") if age is None else _("ticket %(age)ss old") % {"age": age}
            flag = "" if suite["ticket_fresh"] else self.style.WARNING(" " + _("STALE"))
            token = suite["token_expires_at"] or _("no token")
            self.stdout.write(f"  {suite['suite_id']:<24} {ticket}{flag}  {_('token')}: {token}")
        self.stdout.write(_("Corps"))
        if not report["corps"]:
            self.stdout.write("  " + _("none yet"))
        for corp in report["corps"]:
            token = corp["token_expires_at"] or _("no token")
            self.stdout.write(
                f"  {corp['corpid']:<34} {corp['status']:<10} {corp['corp_name']}  "
                f"{_('token')}: {token}"
            )
