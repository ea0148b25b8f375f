"""Accounts as plain values: what the account use cases take and answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.wallet.service.commands.profiles import Profile


@dataclass(frozen=True, slots=True)
class ListAccounts:
    """Operators' search: by the start of the account id or of the display name."""

    page_size: int
    query: str
    page_token: str


@dataclass(frozen=True, slots=True)
class AccountEntry:
    account_id: str
    profile: bytes  # the profile as kept (a serialized billing.wallet.v1.AccountProfile)


@dataclass(frozen=True, slots=True)
class AccountPage:
    accounts: tuple[AccountEntry, ...]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class CreateAccount:
    """`request_sha256` tells a retry (same key, same request) from a misuse of the key."""

    profile: Profile
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class UpdateAccount:
    """The fields named in `update_mask` (comma-separated) take `profile`'s values. A change of
    the funding terms takes effect on `funding_effective_date` (today when "")."""

    account_id: str
    profile: Profile
    update_mask: str
    funding_effective_date: str
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class FundingPeriodsQuery:
    account_id: str
    from_date: str
    to_date: str


@dataclass(frozen=True, slots=True)
class FundingPeriod:
    mode: str  # prepaid | soft | postpaid
    start: dt.date
    end: dt.date
    limit_micros: int


@dataclass(frozen=True, slots=True)
class FundingPeriods:
    """The periods covering the days asked for, and the switches scheduled after them."""

    covering: tuple[FundingPeriod, ...]
    scheduled: tuple[FundingPeriod, ...]


@dataclass(frozen=True, slots=True)
class FundingChange:
    """Funding terms from `effective` on (in the account's time zone), as recorded."""

    effective: dt.date
    mode: str
    limit_micros: int
