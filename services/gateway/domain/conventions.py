"""One convention for every list and report: page_size/page_token, from_date/to_date.

The protos carry these flat; the gateway checks them the same way on every route.
"""

from __future__ import annotations

import datetime as dt
import re

MAX_PAGE_SIZE = 1000
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(DATE_PATTERN)
DATE_FIELDS = ("from_date", "to_date")


def problems(values: dict[str, object]) -> list[tuple[str, str]]:
    """(field, problem) for every convention the request's top-level values break."""
    found: list[tuple[str, str]] = []
    page_size = values.get("page_size")
    if isinstance(page_size, int) and not 0 <= page_size <= MAX_PAGE_SIZE:
        found.append(("page_size", f"must be between 0 and {MAX_PAGE_SIZE}"))
    dates: dict[str, dt.date] = {}
    for name in DATE_FIELDS:
        text = values.get(name)
        if not isinstance(text, str) or not text:
            continue
        parsed = parse_date(text)
        if parsed is None:
            found.append((name, f"expected a date YYYY-MM-DD, got {text!r}"))
        else:
            dates[name] = parsed
    if len(dates) == 2 and dates["to_date"] < dates["from_date"]:
        found.append(("to_date", "must not be before from_date"))
    return found


def parse_date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
