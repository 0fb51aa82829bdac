from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from corps.models import Provider
from oauth.keys import ServiceKeyError, service_key_create, service_key_revoke
from oauth.models import Role, ServiceKey


class Command(BaseCommand):
    help = _("Service accounts for the provider's own backends: create, list, revoke.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help=_("a new service account; prints its key once"))
        create.add_argument("name")
        create.add_argument("--provider", required=True, help=_("the provider's corpid"))
        create.add_argument("--role", choices=Role.values, default=Role.OPERATOR)
        create.add_argument("--suites", default="", help=_("comma-separated suite ids"))
        create.add_argument("--expires", type=int, default=None, help=_("days until it expires"))
        create.add_argument(
            "--relay",
            action="append",
            default=[],
            metavar="PATH",
            help=_("a qyapi path it may call through the WeCom relay (* wildcards; repeatable)"),
        )
        listing = actions.add_parser("list", help=_("every service account, never its key"))
        listing.add_argument("--json", action="store_true")
        revoke = actions.add_parser("revoke", help=_("the key stops working at once"))
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ServiceKeyError as error:
            raise CommandError(str(error)) from None

    def _create(self, options: dict[str, Any]) -> None:
        provider = Provider.objects.filter(corpid=options["provider"]).first()
        if provider is None:
            raise CommandError(_("No provider %(corpid)s.") % {"corpid": options["provider"]})
        key, row = service_key_create(
            name=options["name"],
            provider=provider,
            role=Role(options["role"]),
            suite_ids=[s.strip() for s in options["suites"].split(",") if s.strip()],
            expires_days=options["expires"],
            relay_paths=options["relay"],
        )
        self.stdout.write(
            _("Created service account %(name)s. Its key, shown only now:") % {"name": row.name}
        )
        self.stdout.write(key)  # the last line of output, for scripts

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            _describe(k) for k in ServiceKey.objects.prefetch_related("suites").order_by("name")
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            suites = ",".join(row["suites"]) or _("all suites")
            self.stdout.write(
                f"{row['name']}\t{row['provider']}\t{row['role']}\t{suites}\t{row['state']}"
                f"\t…{row['key_ends_with']}\t{row['last_used_at'] or '-'}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        row = service_key_revoke(name=options["name"])
        self.stdout.write(_("Revoked service account %(name)s.") % {"name": row.name})


def _describe(key: ServiceKey) -> dict[str, Any]:
    now = timezone.now()
    state = "active" if key.is_usable(now) else ("revoked" if key.revoked_at else "expired")
    return {
        "name": key.name,
        "provider": key.provider.corpid,
        "role": key.role,
        "suites": sorted(s.suite_id for s in key.suites.all()),
        "state": state,
        "key_ends_with": key.hint,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }
