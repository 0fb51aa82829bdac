"""Platform events an ISV receives besides installs, contacts and licences (API-business.md §8,
§4): app sharing between linked corps, results of asynchronous jobs, the 组织架构 and 获客助手
permissions, and a historic corp agreeing to the external_userid migration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wecom.event_fields import (
    AppEvent,
    FieldReader,
    InvalidEvent,
    ParserEntry,
    SuiteEvent,
    SystemEvent,
    app_fields,
    suite_fields,
    system_fields,
)


@dataclass(frozen=True, slots=True)
class BatchJob:
    """job_type: contact_id_translate (system URL), export_* (command URL), sync_user,
    replace_user, invite_user, replace_party (data URL)."""

    job_id: str
    job_type: str
    errcode: int | None = None
    errmsg: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteBatchJobResult(SuiteEvent):
    batch_job: BatchJob


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemBatchJobResult(SystemEvent):
    auth_corpid: str
    batch_job: BatchJob


@dataclass(frozen=True, slots=True, kw_only=True)
class AppBatchJobResult(AppEvent):
    batch_job: BatchJob


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareChange(SuiteEvent):
    """share_agent_change (企业互联) or share_chain_change (上下游): the parent corp shared or
    withdrew the app; re-read who it is shared with."""

    corpid: str
    agent_id: int | None = None
    app_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppShareChange(AppEvent):
    """The data-URL variant of a share change (``corpid`` is the parent corp)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CorpArchAuth(SuiteEvent):
    """The admin granted the 组织架构 (organisation structure) permission."""

    auth_corpid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecialAuth(SuiteEvent):
    """approve_special_auth / cancel_special_auth: the admin confirmed or withdrew a special
    permission (auth_type customer_acquisition: 获客助手)."""

    auth_corpid: str
    auth_type: str

    @property
    def approved(self) -> bool:
        return self.kind == "approve_special_auth"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreeExternalUseridMigration(SystemEvent):
    auth_corpid: str


def _batch_job(r: FieldReader) -> BatchJob:
    job = r.mapping("BatchJob")
    if job is None:
        raise InvalidEvent("missing field BatchJob")
    return BatchJob(
        job_id=job.text("JobId"),
        job_type=job.text("JobType", ""),
        errcode=job.opt_int("ErrCode"),
        errmsg=job.text("ErrMsg", ""),
    )


def _suite_job(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "batch_job": _batch_job(r)}


def _system_job(r: FieldReader) -> dict[str, Any]:
    return {**system_fields(r), "auth_corpid": r.text("AuthCorpId"), "batch_job": _batch_job(r)}


def _app_job(r: FieldReader) -> dict[str, Any]:
    return {**app_fields(r), "batch_job": _batch_job(r)}


def _share(r: FieldReader) -> dict[str, Any]:
    return {
        **suite_fields(r),
        "corpid": r.text("CorpId", ""),
        "agent_id": r.opt_int("AgentId"),
        "app_id": r.text("AppId", ""),
    }


def _corp(r: FieldReader) -> dict[str, Any]:
    return {**suite_fields(r), "auth_corpid": r.text("AuthCorpId")}


def _special(r: FieldReader) -> dict[str, Any]:
    return {**_corp(r), "auth_type": r.text("AuthType", "")}


def _migration(r: FieldReader) -> dict[str, Any]:
    return {**system_fields(r), "auth_corpid": r.text("AuthCorpId")}


PLATFORM_INFO_TYPES: dict[str, ParserEntry] = {
    "batch_job_result": (SuiteBatchJobResult, _suite_job),
    "share_agent_change": (ShareChange, _share),
    "share_chain_change": (ShareChange, _share),
    "corp_arch_auth": (CorpArchAuth, _corp),
    "approve_special_auth": (SpecialAuth, _special),
    "cancel_special_auth": (SpecialAuth, _special),
}

PLATFORM_SYSTEM_INFO_TYPES: dict[str, ParserEntry] = {
    "batch_job_result": (SystemBatchJobResult, _system_job),
    "agree_external_userid_migration": (AgreeExternalUseridMigration, _migration),
}

PLATFORM_APP_EVENTS: dict[str, ParserEntry] = {
    "batch_job_result": (AppBatchJobResult, _app_job),
    "share_agent_change": (AppShareChange, app_fields),
    "share_chain_change": (AppShareChange, app_fields),
}
