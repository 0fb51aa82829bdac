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


class LicenseError(WeComAPIError):
    """A 701xxx refusal of the 接口许可 (licence) API; ``meaning`` says what WeCom means by it
    (doc 90455), where errmsg is often only "invalid"."""

    @property
    def meaning(self) -> str:
        return LICENSE_MEANINGS.get(self.errcode, self.errmsg)


class LicenseAccountError(LicenseError):
    """The account or active code cannot be used as asked (bound, expired, wrong type...)."""


class LicenseOrderError(LicenseError):
    """The order cannot be placed, paid, cancelled or read as asked."""


class LicenseRequiredError(LicenseError):
    """701008/701099: the member has no valid (interop) licence; activate one for them."""


LICENSE_MEANINGS: dict[int, str] = {
    701001: "not a base account",
    701002: "invalid account",
    701003: "the active code is already bound",
    701004: "the member has no account of that type to renew",
    701005: "invalid order id",
    701006: "invalid account type",
    701007: "invalid account type",
    701008: "the member has no valid interop licence",
    701010: "all active codes are invalid",
    701011: "the member already holds an account of that type",
    701012: "the active code is past its binding deadline",
    701014: "a renewal job holds at most 1,000,000 members",
    701015: "the corp has not authorized a third-party or customized app of the provider",
    701016: "the handover account is inactive or expired",
    701017: "this member's account was transferred less than 30 days ago",
    701018: "the takeover member holds the same type with more than 20 days left",
    701019: "invalid userid, or a member of another corp",
    701020: "duplicate userid",
    701021: "invalid active code",
    701022: "active codes are still being generated",
    701023: "duplicate active code",
    701024: "every item of the batch failed",
    701025: "the list is empty",
    701026: "the list is too long",
    701027: "a test corp may buy at most 1,000 accounts",
    701028: "a test corp may buy one month only",
    701029: "a test corp may renew once only",
    701030: "stacked validity would exceed 5 years",
    701031: "the order is being migrated",
    701032: "the corp has an unpaid order",
    701033: "active codes are being generated",
    701034: "a historic corp must migrate first",
    701035: "the test corp has a formal order",
    701036: "the test corp has an active test order",
    701037: "a refund is pending",
    701051: "the app is not shared to that corp",
    701054: "the code came from an upstream corp",
    701055: "the code is already shared",
    701056: "more than twice the downstream corp's members",
    701057: "the upstream corp has not authorized the app",
    701058: "the corps are not linked",
    701063: "the corp's licence state is closed",
    701070: "invalid auto_active_status",
    701071: "the corp has never bought a licence",
    701072: "the corp has no free active code of that type",
    701081: "write conflict, read again",
    701082: "the member's current code has more than 20 days left",
    701083: "the order is unpaid",
    701084: "the order is not unpaid",
    701085: "busy, try again",
    701086: "the order is not this corp's",
    701087: "the corp has no app with interop permission",
    701088: "the member is outside the app's visible range",
    701089: "the member is outside the interop app's range",
    701090: "a renewal with every duration 0",
    701099: "the member has no valid licence",
    701120: "a multi-corp parent order id is not accepted here",
    701121: "a test corp cannot be in a multi-corp order",
    701122: "every corp of the job is invalid",
    701123: "a job holds at most 100,000 corps",
    701124: "duplicate corpid",
    701125: "the job is not submitted",
    701126: "the job is already submitted",
    701127: "not a test corp",
    701128: "a test corp",
    701129: "the corp has no app order of the provider",
    701130: "the corp's app orders have expired",
    701131: "a free-trial corp: above the trial's headcount",
    701132: "an order of three months or less may cover at most twice the corp's members",
    701133: "a free-trial corp: longer than three months",
    701134: "orders placed too often",
    701135: "shorter than the corp's app order",
    701143: "an unpaid or refunding order exists",
    701147: "over the single-payment cap",
    701150: "a test corp's code cannot be shared",
    701151: "the jobid is wrong or expired",
    701160: "the corp failed the payment check",
    701161: "the order is bound to bank payment",
    701166: "the operator lacks the purchase right",
    701169: "only unpaid orders can be cancelled",
}
ORDER_CODES = {
    701005, 701015, 701027, 701028, 701029, 701031, 701032, 701033, 701034, 701035, 701036,
    701037, 701083, 701084, 701085, 701086, 701090, *range(701120, 701170),
}  # fmt: skip


def _license_error(errcode: int) -> type[LicenseError]:
    if errcode in (701008, 701099):
        return LicenseRequiredError
    return LicenseOrderError if errcode in ORDER_CODES else LicenseAccountError


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
    if 701000 <= errcode < 702000:
        return _license_error(errcode)(errcode, errmsg, path)
    return ERRCODES.get(errcode, WeComAPIError)(errcode, errmsg, path)


def is_token_error(errcode: int) -> bool:
    """WeCom rejected the token itself (wrong, expired, of the wrong kind): refresh, retry."""
    return ERRCODES.get(errcode) is TokenInvalidError
