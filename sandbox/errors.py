"""The sandbox's refusal: an errcode the simulated API answers with."""

from __future__ import annotations


class ApiError(Exception):
    """An errcode the simulated API answers with."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
