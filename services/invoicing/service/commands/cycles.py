"""Billing runs as the use cases take and answer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.invoicing.service.commands.invoices import Invoice


@dataclass(frozen=True, slots=True)
class RunBillingCycle:
    as_of: dt.date
    account_id: str  # empty: every account


@dataclass(frozen=True, slots=True)
class CycleFailure:
    """A cycle not billed this time (the next run retries it)."""

    account_id: str
    cycle_start: dt.date
    reason: str
    subscription_id: str = ""  # empty for a partner's cycle


@dataclass(frozen=True, slots=True)
class CycleRun:
    invoices: list[Invoice]  # the first MAX_INVOICES_IN_RESPONSE issued
    failures: list[CycleFailure]
    issued_count: int
