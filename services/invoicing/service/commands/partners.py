"""Partner contracts as the use cases take and answer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartnerContract:
    """A partner's stored contract."""

    account_id: str
    currency_code: str
    price_per_channel_month_micros: int
    updated_at: dt.datetime
    start_date: dt.date | None  # the schedule's first day, once set
    cycles_billed: int = 0


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """A contract as shown: how the partner is billed today and from when that changes."""

    account_id: str
    currency_code: str
    price_per_channel_month_micros: int
    update_time: dt.datetime
    billing: str
    start_date: dt.date | None
    next_billing: str = ""  # empty: no change is coming
    next_billing_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SetPartnerContract:
    account_id: str
    currency_code: str
    price_per_channel_month_micros: int
    billing: str | None  # None: as it is
    start_date: dt.date | None
    idempotency_key: str  # already scoped to the account; empty: a plain replace
    request_sha256: str
