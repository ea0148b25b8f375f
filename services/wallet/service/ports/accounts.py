"""What the account use cases need from outside."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.wallet.domain.partitions import Keys
from services.wallet.service.commands.accounts import AccountEntry, FundingChange
from services.wallet.service.commands.profiles import Profile, StoredProfile


class AccountDirectory(Protocol):
    """Accounts as operators find them, ordered by account id."""

    def find(self, query: str, name_prefix: str, after: str, limit: int) -> list[AccountEntry]:
        """Up to `limit` accounts after the id `after` ("" from the first) whose id starts
        with `query` (exactly) or whose search name starts with `name_prefix`; all when
        `query` is empty."""
        ...


class AccountReading(Transaction, Protocol):
    directory: AccountDirectory


class AccountRecords(Protocol):
    """The accounts' record: each profile with its version."""

    def find(self, account_id: str) -> StoredProfile | None: ...

    def find_for_update(self, account_id: str) -> StoredProfile | None:
        """Read under the account's write lock, held until the unit of work ends."""
        ...

    def exists(self, account_id: str) -> bool: ...

    def add(self, stored: StoredProfile, search_name: str, now_ms: int) -> None: ...

    def replace(self, stored: StoredProfile, search_name: str, now_ms: int) -> None: ...

    def every(self) -> list[StoredProfile]:
        """All accounts, ordered by account id."""
        ...

    def holds_funds(self, account_id: str) -> bool:
        """Whether the ledger has any entry of the account."""
        ...


class FundingRecords(Protocol):
    """Each account's funding terms by the day they take effect; a switch for a later day is
    recorded not applied until its day comes."""

    def record(
        self,
        account_id: str,
        change: FundingChange,
        applied: bool,
        now_ms: int,
    ) -> None:
        """The terms from the change's day on (replacing any recorded for that day)."""
        ...

    def drop_scheduled_after(self, account_id: str, day: dt.date) -> None:
        """Switches not applied yet whose day is after `day`, dropped."""
        ...

    def changes(self, account_id: str) -> list[FundingChange]:
        """Every change recorded, applied or not, by day."""
        ...

    def due(self, through: dt.date, limit: int) -> list[tuple[str, dt.date]]:
        """Switches not applied yet whose day is at most `through` (account, day), oldest
        first."""
        ...

    def scheduled(self, account_id: str, day: dt.date) -> FundingChange | None:
        """The switch for that day, when it is not applied yet."""
        ...


class AccountChanges(Protocol):
    def publish(self, event_id: str, profile: Profile) -> None:
        """AccountChanged, through the outbox: leaves once the unit of work commits."""
        ...


class AccountWork(Transaction, Protocol):
    accounts: AccountRecords
    funding: FundingRecords
    changes: AccountChanges
    created: Replies[Profile]
    updated: Replies[Profile]


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
