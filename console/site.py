from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
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

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard(scope_of(request)), **(extra_context or {})})


site = ConsoleSite(name="admin")
