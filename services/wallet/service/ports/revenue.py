"""What the message revenue reads: the revenue legs of the ledger, the messages behind the
reservations they commit, and when metering says those messages were delivered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.common.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class RevenueLeg:
    kind: str  # the ledger entry's kind: a commit or a direct charge
    reference: str  # the reservation committed, or the message charged
    created_ms: int
    micros: int  # credit less debit


class RevenueRecords(Protocol):
    def legs(
        self, account_id: str, revenue_accounts: str, from_ms: int, until_ms: int
    ) -> list[RevenueLeg]:
        """Legs on ledger accounts LIKE `revenue_accounts`, booked in [from_ms, until_ms)."""
        ...

    def messages_of(self, reservation_ids: Sequence[str]) -> dict[str, str]:
        """reservation id -> its message id."""
        ...

    def delivered(self, account_id: str, message_ids: Sequence[str]) -> dict[str, int]:
        """message id -> when metering says it was delivered (occur_ms)."""
        ...


class RevenueWork(Transaction, Protocol):
    revenue: RevenueRecords
