"""Accounts as plain values: what the account use cases take and answer."""

from __future__ import annotations

from dataclasses import dataclass


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
