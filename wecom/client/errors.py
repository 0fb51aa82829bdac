"""WeCom errcodes (API.md §6) as an exception hierarchy that callers branch on."""

from __future__ import annotations


class WeComError(Exception):
    """Any failure of a WeCom API call. Messages never contain tokens or secrets."""

    retryable = False


class TransportError(WeComError):
    """The request did not get a usable answer: connection failure, timeout, non-JSON body.

    ``reached`` is False only when the request surely never reached WeCom (the connection was
    not established), so a call that spends a single-use code may be sent again.
    """

    retryable = True
    reached = True


class WeComAPIError(WeComError):
    """WeCom answered with a non-zero errcode that no subclass names more precisely."""

    def __init__(self, errcode: int, errmsg: str, path: str) -> None:
        super().__init__(f"{path}: errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path


class SystemBusyError(WeComAPIError):
    """-1 system busy, 6000 data version conflict: worth retrying with backoff."""

    retryable = True


class TokenInvalidError(WeComAPIError):
    """The access token is wrong, of the wrong kind, missing or expired: refresh, retry once."""


class SuiteTicketInvalidError(WeComAPIError):
    """40085: the stored suite_ticket is missing or expired; wait for WeCom's next push."""


class RateLimitedError(WeComAPIError):
    """45009/45033: back off for the blocked window; never retried in a loop."""


class InvalidCodeError(WeComAPIError):
    """An auth_code, pre_auth_code, OAuth code or user_ticket that is used, expired or wrong."""


class NoPrivilegeError(WeComAPIError):
    """The app, token, IP or corp lacks the permission for this call."""


class AuthorizationInvalidError(NoPrivilegeError):
    """40084/48004: the permanent code no longer works; the corp has likely cancelled."""


ERRCODES: dict[int, type[WeComAPIError]] = {
    -1: SystemBusyError,
    6000: SystemBusyError,
    40014: TokenInvalidError,
    40082: TokenInvalidError,
    41001: TokenInvalidError,
    41022: TokenInvalidError,
    42001: TokenInvalidError,
    42009: TokenInvalidError,
    48003: TokenInvalidError,
    40085: SuiteTicketInvalidError,
    41023: SuiteTicketInvalidError,
    45009: RateLimitedError,
    45033: RateLimitedError,
    40029: InvalidCodeError,
    40077: InvalidCodeError,
    40078: InvalidCodeError,
    41008: InvalidCodeError,
    42003: InvalidCodeError,
    42007: InvalidCodeError,
    84014: InvalidCodeError,
    84015: InvalidCodeError,
    40084: AuthorizationInvalidError,
    48004: AuthorizationInvalidError,
    48001: NoPrivilegeError,
    48002: NoPrivilegeError,
    48006: NoPrivilegeError,
    50001: NoPrivilegeError,
    50002: NoPrivilegeError,
    60011: NoPrivilegeError,
    60020: NoPrivilegeError,
    301002: NoPrivilegeError,
}


def error_for(errcode: int, errmsg: str, path: str) -> WeComAPIError:
    return ERRCODES.get(errcode, WeComAPIError)(errcode, errmsg, path)
