"""What the account use cases need from outside."""

from __future__ import annotations

from typing import Protocol

from services.common.unit_of_work import Transaction
from services.wallet.domain.partitions import Keys
from services.wallet.service.commands.accounts import AccountEntry


class AccountDirectory(Protocol):
    """Accounts as operators find them, ordered by account id."""

    def find(self, query: str, name_prefix: str, after: str, limit: int) -> list[AccountEntry]:
        """Up to `limit` accounts after the id `after` ("" from the first) whose id starts
        with `query` (exactly) or whose search name starts with `name_prefix`; all when
        `query` is empty."""
        ...


class AccountReading(Transaction, Protocol):
    directory: AccountDirectory


class AccountHotCopy(Protocol):
    """The account's copy in Redis that the send path reads."""

    def write_account(
        self,
        keys: Keys,
        account_id: str,
        version: int,
        status: str,
        mode: str,
        overdraft_micros: int,
        currency: str,
        scope: str,
    ) -> bool:
        """Written unless Redis holds a later version; whether it was."""
        ...
