"""Temporary media as WeCom keeps it (API-business.md §7.5): uploads checked against WeCom's
type and size limits (the wecom library's table of them), kept three days under a media_id."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.errors import ApiError
from wecom.client.media import CORP_MEDIA, PROVIDER_MEDIA, MediaLimit, media_problem

if TYPE_CHECKING:
    from sandbox.api import Call

MEDIA_LIFETIME = 3 * 24 * 3600


@dataclass(frozen=True)
class Media:
    owner: str  # the corp, or the provider for service/media/upload
    type: str
    filename: str
    content: bytes
    created_at: float


def upload(call: Call, owner: str, limits: dict[str, MediaLimit]) -> dict[str, object]:
    media_type = call.query.get("type", "")
    if "media" not in call.files:
        raise ApiError(44001, "empty media data")
    filename, content = call.files["media"]
    if problem := media_problem(media_type, filename, len(content), limits):
        raise ApiError(*problem)
    sandbox = call.sandbox
    media_id = secrets.token_urlsafe(24)  # an id, not a secret
    created = sandbox.now()
    sandbox.media[media_id] = Media(owner, media_type, filename, content, created)
    return {"type": media_type, "media_id": media_id, "created_at": str(int(created))}


def fetch(call: Call, media_id: str, owner: str) -> Media:
    """A live upload of ``owner``; WeCom answers 40007 for anything else."""
    media = call.sandbox.media.get(media_id)
    if (
        media is None
        or media.owner != owner
        or call.sandbox.now() > (media.created_at + MEDIA_LIFETIME)
    ):
        raise ApiError(40007, "invalid media_id")
    return media


def provider_upload(call: Call) -> dict[str, object]:
    return upload(call, call.sandbox.config.provider.corpid, PROVIDER_MEDIA)


def corp_upload(call: Call) -> dict[str, object]:
    call.authorization()
    return upload(call, call.corpid, CORP_MEDIA)
