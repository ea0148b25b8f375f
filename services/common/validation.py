"""Checks of request fields shared by every service; failures name the field."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

from services.common.errors import InvalidArgument

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$")
# ISO 4217 codes the suite bills in (Meta's billing currencies and more).
CURRENCIES = frozenset(
    (
        "USD INR EUR GBP IDR AUD MXN BRL ARS CLP COP PEN SGD HKD JPY CAD NZD ZAR AED SAR "
        "TRY MYR PHP THB VND EGP NGN KES PKR BDT ILS CHF SEK NOK DKK PLN CZK HUF RON"
    ).split()
)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# The largest amount any field or balance may hold: 10^15 micros (a billion units of a
# currency). The hot path's Lua arithmetic runs in doubles, exact only below 2^53 (about
# 9 x 10^15): every sum it makes of bounded values stays exact.
MAX_MICROS = 10**15
# How much of a bad value an error message quotes.
QUOTE_CHARS = 40


def require_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(field, "is required")
    if not ID_PATTERN.match(value):
        raise InvalidArgument(field, "must be 1 to 128 letters, digits or _ . : @ + -")
    return value


def optional_id(value: str, field: str) -> str:
    return require_id(value, field) if value else ""


def currency(code: str, field: str) -> str:
    if not code:
        raise InvalidArgument(field, "is required")
    if code not in CURRENCIES:
        raise InvalidArgument(field, f"unknown currency code {quoted(code)}")
    return code


def amount(value: int, field: str, *, positive: bool = False, maximum: int = MAX_MICROS) -> int:
    if value < 0:
        raise InvalidArgument(field, "must not be negative")
    if positive and value == 0:
        raise InvalidArgument(field, "must be greater than zero")
    if value > maximum:
        raise InvalidArgument(field, f"at most {maximum:,}")
    return value


# Timestamps a request may carry: 1970 up to the end of 9999, whole nanoseconds.
MIN_TIMESTAMP_S = 0
MAX_TIMESTAMP_S = 253_402_300_799


def timestamp_ms(seconds: int, nanos: int, field: str) -> int:
    """A google.protobuf.Timestamp's (seconds, nanos) as epoch milliseconds, or
    InvalidArgument naming the field when it is outside what a Timestamp may hold."""
    if not MIN_TIMESTAMP_S <= seconds <= MAX_TIMESTAMP_S:
        raise InvalidArgument(field, "must be between 1970-01-01 and 9999-12-31")
    if not 0 <= nanos < 1_000_000_000:
        raise InvalidArgument(field, "nanos must be 0 to 999,999,999")
    return seconds * 1000 + nanos // 1_000_000


def quoted(value: str) -> str:
    """A value for an error message: at most QUOTE_CHARS characters of it."""
    if len(value) <= QUOTE_CHARS:
        return repr(value)
    return repr(value[:QUOTE_CHARS]) + f"... ({len(value)} characters)"


def text(value: str, field: str, *, required: bool = False, max_length: int = 500) -> str:
    if required and not value.strip():
        raise InvalidArgument(field, "is required")
    if len(value) > max_length:
        raise InvalidArgument(field, f"at most {max_length} characters")
    return value


def date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(field, f"expected a date YYYY-MM-DD, got {quoted(value)}") from None


def date_range(from_value: str, to_value: str, max_days: int = 3660) -> tuple[dt.date, dt.date]:
    start = date(from_value, "from_date")
    end = date(to_value, "to_date")
    if end < start:
        raise InvalidArgument("to_date", "must not be before from_date")
    if (end - start).days >= max_days:
        raise InvalidArgument("to_date", f"a range covers at most {max_days} days")
    return start, end


def page(page_size: int, page_token: str) -> tuple[int, int]:
    """(limit, offset) from the paging fields every list request carries."""
    if page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    limit = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return limit, 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(page_token.encode()))["o"])
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument("page_token", "not a token this service issued") from None
    if offset < 0:
        raise InvalidArgument("page_token", "not a token this service issued")
    return limit, offset


def next_page_token(offset: int, limit: int, returned: int) -> str:
    """The token of the following page, or empty when this page was the last."""
    if returned < limit:
        return ""
    payload = json.dumps({"o": offset + limit}).encode()
    return base64.urlsafe_b64encode(payload).decode()
