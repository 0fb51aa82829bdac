"""One error model for every door: what a failure means to the person or program that asked.

Each failure that can reach a request (WeCom down, a missing suite_ticket, a secret that does not
decrypt, a used code…) maps to an HTTP status, a stable machine-readable ``code`` and a translated
sentence saying what to do. The REST API answers ``{"detail", "code"}``; browser pages show the
same sentence with the same status; the console reports it beside the object. Nothing here is a
500: an exception that no rule names is a bug, and stays one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from corps.fields import SecretDecryptionError
from tokens.authorization import InstallAnswerLostError
from tokens.services import CorpCancelledError, CredentialBusyError, SuiteTicketError
from wecom.client import (
    AuthorizationInvalidError,
    InvalidCodeError,
    LicenseError,
    LicenseRequiredError,
    RateLimitedError,
    WeComError,
)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str


class Refused(Exception):
    """A request refused for a reason of our own (not one of the failures below)."""

    def __init__(self, status: int, detail: str, code: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or DEFAULT_CODES.get(status, "refused")


DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    502: "wecom_unavailable",
    503: "not_ready",
}

# Most specific first: the first rule whose type matches decides.
RULES: tuple[tuple[type[BaseException], int, str, Promise], ...] = (
    (
        CorpCancelledError,
        403,
        "authorization_cancelled",
        _("The corp's authorization of this app was cancelled."),
    ),
    (
        SuiteTicketError,
        503,
        "suite_ticket_missing",
        _(
            "This app is not ready yet: WeCom has not pushed a current suite_ticket. It arrives "
            "every 10 minutes once the command callback URL is verified; try again shortly."
        ),
    ),
    (
        CredentialBusyError,
        503,
        "credential_busy",
        _("Another request is fetching this credential right now; try again in a moment."),
    ),
    (
        SecretDecryptionError,
        503,
        "secret_unreadable",
        _(
            "A stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS. An "
            "operator must restore the old key or enter the secret again."
        ),
    ),
    (
        InstallAnswerLostError,
        502,
        "install_answer_lost",
        _(
            "WeCom accepted this install but its answer was lost on the way. Ask the customer's "
            "admin to install the app again."
        ),
    ),
    (
        InvalidCodeError,
        400,
        "sign_in_refused",
        _("This code is invalid, was already used or has expired. Please start again."),
    ),
    (
        AuthorizationInvalidError,
        403,
        "authorization_cancelled",
        _("WeCom no longer accepts this corp's authorization; it was likely cancelled."),
    ),
    (
        RateLimitedError,
        503,
        "wecom_rate_limited",
        _("WeCom asks us to slow down for this corp; try again in a minute."),
    ),
    (
        OperationalError,  # a lock wait past DATABASE_LOCK_TIMEOUT, or the database went away
        503,
        "database_busy",
        _("The database is busy or unreachable; try again in a moment."),
    ),
    (
        WeComError,
        502,
        "wecom_unavailable",
        _("WeCom could not complete the request. Please try again."),
    ),
)


def refusal_for(error: BaseException) -> Refusal | None:
    """The refusal an exception stands for, or None if it is not one of ours (a bug)."""
    if isinstance(error, Refused):
        return Refusal(error.status, error.code, str(error.detail))
    if isinstance(error, LicenseError):  # WeCom's reason is the caller's answer
        code = "license_required" if isinstance(error, LicenseRequiredError) else "license_refused"
        said = _("WeCom refused the licence operation: %(reason)s (errcode %(errcode)s).")
        reason = str(said) % {"reason": error.meaning, "errcode": error.errcode}
        return Refusal(403 if code == "license_required" else 400, code, reason)
    for kind, status, code, detail in RULES:
        if isinstance(error, kind):
            return Refusal(status, code, str(detail))
    return None
