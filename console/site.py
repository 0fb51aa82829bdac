from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from console.dashboard import dashboard
from console.scope import scope_of


class ConsoleSite(AdminSite):
    """The Django admin as the provider's operations console; its index is the dashboard."""

    site_header = _("isvportal operations console")
    site_title = _("isvportal console")
    index_title = _("Dashboard")
    index_template = "console/dashboard.html"
    site_url = None  # the portal has no public site of its own to link to

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """A signed-in member who reaches the console is named as a person, not by the
        internal username of their Django user."""
        member = getattr(request.user, "wecom_member", None)
        if member is not None:
            extra_context = {**(extra_context or {}), "username": str(member)}
        return super().login(request, extra_context)

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard(scope_of(request)), **(extra_context or {})})


site = ConsoleSite(name="admin")
