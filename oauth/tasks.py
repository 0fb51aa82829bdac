"""Periodic jobs of the sign-in and API app."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from oauth.models import CredentialGrant


@shared_task(ignore_result=True)
def purge_old_credential_grants() -> int:
    """Delete the record of credentials handed out (and reported rejected) older than
    CREDENTIAL_GRANT_RETENTION_DAYS: one row per ask of the central credential API."""
    cutoff = timezone.now() - timedelta(days=settings.CREDENTIAL_GRANT_RETENTION_DAYS)
    deleted, _ = CredentialGrant.objects.filter(at__lt=cutoff).delete()
    return deleted
