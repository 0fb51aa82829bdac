"""The portal's one WeCom client, pointed at WECOM_API_BASE (the sandbox sets its own)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from wecom.client import WeComClient


@cache
def _client(api_base: str) -> WeComClient:
    return WeComClient(api_base)


def wecom_client() -> WeComClient:
    return _client(settings.WECOM_API_BASE)
