"""Which invoices of an account a list returns, and in what order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NEWEST_FIRST = "newest_first"
OLDEST_FIRST = "oldest_first"
# Open invoices first, the largest amount still due first among them.
AMOUNT_DUE = "amount_due"


@dataclass(frozen=True)
class InvoiceFilter:
    kind: str = ""
    status: str = ""
    # Issued at or after issued_from and before issued_before (UTC), when set.
    issued_from: dt.datetime | None = None
    issued_before: dt.datetime | None = None
    order: str = NEWEST_FIRST
