"""WeCom's limits on temporary media (API-business.md §7.5), checked before an upload, and the
answer of media/upload."""

from __future__ import annotations

from dataclasses import dataclass

from wecom.client.models import Json

MB = 1024 * 1024
MIN_BYTES = 6  # "more than 5 bytes"


@dataclass(frozen=True, slots=True)
class MediaLimit:
    largest: int  # bytes
    extensions: tuple[str, ...]  # empty: any
    too_large_errcode: int  # what WeCom answers past ``largest``


CORP_MEDIA = {
    "image": MediaLimit(10 * MB, ("jpg", "jpeg", "png"), 40009),
    "voice": MediaLimit(2 * MB, ("amr",), 40006),
    "video": MediaLimit(10 * MB, ("mp4",), 40011),
    "file": MediaLimit(20 * MB, (), 40006),
}
PROVIDER_MEDIA = {**CORP_MEDIA, "image": MediaLimit(2 * MB, ("jpg", "jpeg", "png"), 40009)}


def media_problem(
    media_type: str, filename: str, size: int, limits: dict[str, MediaLimit] = CORP_MEDIA
) -> tuple[int, str] | None:
    """What WeCom would refuse about this upload, as (errcode, reason), or None."""
    limit = limits.get(media_type)
    if limit is None:
        return 40004, f"type must be one of {', '.join(limits)}"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if limit.extensions and extension not in limit.extensions:
        return 40005, f"a {media_type} must be a {' or '.join(limit.extensions)} file"
    if size < MIN_BYTES:
        return 44001, "the file is empty (5 bytes or fewer)"
    if size > limit.largest:
        return limit.too_large_errcode, f"a {media_type} is at most {limit.largest // MB} MB"
    return None


@dataclass(frozen=True, slots=True)
class UploadedMedia:
    type: str
    media_id: str  # valid three days
    created_at: int

    @classmethod
    def from_json(cls, data: Json) -> UploadedMedia:
        return cls(str(data["type"]), str(data["media_id"]), int(data["created_at"]))
