"""A 代开发 authorization link from the console: the provider picks templates, WeCom answers a
QR code link (get_customized_auth_url) that a customer's admin scans to authorize them."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.admin.common import qr_image, refusal_detail
from corps.models import Suite
from tokens.services import provider_api


@admin.action(description=gettext_lazy("Make a 代开发 authorization link"))
def customized_auth_link(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> TemplateResponse | None:
    templates = list(queryset.filter(kind=Suite.Kind.CUSTOMIZED).select_related("provider"))
    providers = {t.provider_id for t in templates}
    if not templates or len(providers) != 1:
        model_admin.message_user(
            request, _("Select 代开发 templates of one provider."), messages.ERROR
        )
        return None
    state = f"dk{secrets.token_hex(6)}"  # tells which link a corp came from
    try:
        link = provider_api(templates[0].provider).get_customized_auth_url(
            templateid_list=[t.suite_id for t in templates], state=state
        )
    except Exception as error:  # WeCom's refusal, shown on the page
        model_admin.message_user(request, refusal_detail(error), messages.ERROR)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("代开发 authorization link"),
        "templates": templates,
        "link": link.qrcode_url,
        "qr": qr_image(link.qrcode_url, "customized-qr"),
        "state": state,
        "expires_at": timezone.now() + timedelta(seconds=link.expires_in),
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "console/customized_auth.html", context)
