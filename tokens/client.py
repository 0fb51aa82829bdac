"""The portal's one WeCom client, pointed at WECOM_API_BASE (the sandbox sets its own)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from wecom.client import WeComClient


@cache
def _client(api_base: str, timeout: tuple[float, float]) -> WeComClient:
    return WeComClient(api_base, timeout=timeout)


def wecom_client() -> WeComClient:
    timeout = (float(settings.WECOM_CONNECT_TIMEOUT), float(settings.WECOM_READ_TIMEOUT))
    return _client(settings.WECOM_API_BASE, timeout)
