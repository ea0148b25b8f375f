"""Who is asked whether an account exists when its list of invoices comes back empty."""

from __future__ import annotations

from typing import Protocol


class AccountDirectory(Protocol):
    """Whether an account exists (the wallet keeps the accounts)."""

    def account_exists(self, account_id: str) -> bool: ...


class EveryAccount:
    """A directory that knows of no account it could refuse (when none is wired)."""

    def account_exists(self, account_id: str) -> bool:
        return True
