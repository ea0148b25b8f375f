"""The pricing library's exceptions: one small tree under PricingError."""

from __future__ import annotations


class PricingError(Exception):
    """Base of every error the pricing library raises."""


class InvalidRequest(PricingError, ValueError):
    """A request field is malformed: unknown category, naive datetime, unknown time zone..."""


class InvalidNumber(InvalidRequest):
    """A recipient number is not a valid E.164 number."""

    def __init__(self, number: str, problem: str) -> None:
        super().__init__(f"invalid phone number {number!r}: {problem}")
        self.number = number


class NoRateInForce(PricingError):
    """A paid decision found no rule, card or rate in force (never a silent zero)."""


class RateCardError(PricingError):
    """A data file failed validation; the message names the file, line and column."""

    def __init__(self, path: str, line: int, column: str | None, problem: str) -> None:
        where = f"{path}:{line}" + (f" column {column!r}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.column = column
