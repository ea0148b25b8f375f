"""What the notices and balance alerts need: a unit of work over the alerts' records and the
outbox, the scanners' reading of credits and channels, and the hot balances' crossings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.common.unit_of_work import Transaction
from services.wallet.domain.partitions import Keys
from services.wallet.service.commands.notices import BalanceAlert, Notice


class NoticeTaken(Exception):
    """Another writer recorded the same notice (its event id) first."""


@dataclass(frozen=True, slots=True)
class CreditGrant:
    credit_id: str
    account_id: str
    currency: str
    granted_micros: int
    expire_ms: int


@dataclass(frozen=True, slots=True)
class PaidChannel:
    account_id: str
    channel_id: str
    paid_through: str  # YYYY-MM-DD, the last paid day in the account's time zone


class AlertRecords(Protocol):
    def add(self, alert: BalanceAlert) -> bool:
        """Record the alert with its outbox event; False when its event id is recorded."""
        ...


class NoticeRecords(Protocol):
    def announced(self, event_ids: Sequence[str]) -> set[str]:
        """Of these event ids, those recorded already."""
        ...

    def add(
        self,
        notice: Notice,
        kind: str,
        subject: str,
        currency: str,
        amount: int,
        instant_ms: int,
    ) -> None:
        """Record the notice under its event id (subject, amount and instant as the row keeps
        them) with its outbox event; a notice recorded already fails the unit of work."""
        ...

    def publish(self, notice: Notice) -> None:
        """Only its outbox event (a notice grouped by window, not recorded)."""
        ...

    def expiring_credits(self, now_ms: int, within_ms: int) -> list[CreditGrant]:
        """Grants not written off that expire after now and within `within_ms`, soonest first."""
        ...

    def written_off_credits(self, since_ms: int) -> list[CreditGrant]:
        """Grants written off after `since_ms`, in the order they were."""
        ...

    def credit_left(self, account_id: str, ledger_account: str) -> int:
        """What the grant's ledger account holds."""
        ...

    def credit_written_off(self, account_id: str, ledger_account: str, kind: str) -> int:
        """What the write-off (entries of `kind`) took from the grant's ledger account."""
        ...

    def channels_paid_through(self, last_day: str) -> list[PaidChannel]:
        """Live channels whose paid days end on or before `last_day`."""
        ...


class NoticeWork(Transaction, Protocol):
    """A unit of work whose commit raises NoticeTaken when a notice was recorded already."""

    alerts: AlertRecords
    notices: NoticeRecords


@dataclass(frozen=True, slots=True)
class Observation:
    available_micros: int
    # threshold name -> crossing_ms of a crossing below it that is not served yet
    open_crossings: dict[str, int]
    # threshold name -> crossing_ms of a served crossing the balance left in this observation
    ended_crossings: dict[str, int] = field(default_factory=dict)


class BalanceCrossings(Protocol):
    """Crossings of a hot balance below its thresholds, named and served once."""

    def observe(
        self,
        keys: Keys,
        account_id: str,
        balance: str,
        thresholds: Mapping[str, int],
        now_ms: int,
    ) -> Observation: ...

    def served(
        self, keys: Keys, account_id: str, balance: str, name: str, crossing_ms: int
    ) -> bool: ...
