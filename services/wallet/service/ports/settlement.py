"""The send path's SQL, behind one unit of work: message charges, the ledger as the reconciler
and a rebuild read it, what SQL holds of the hot state, and the projector's postings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.common.unit_of_work import Transaction
from services.wallet.domain.ledger import Fact
from services.wallet.service.ports.send import Balances, HeldReservation, LedgerCredits

Key = tuple[str, str]  # (account, message)
Reserving = tuple[Fact, str, int]  # a hold or settlement: (fact, message id, expire_ms)


@dataclass(frozen=True, slots=True)
class Charge:
    account_id: str
    message_id: str
    event_id: str
    channel_id: str
    reservation_id: str
    currency: str
    amount_micros: int
    occur_ms: int

    @property
    def key(self) -> Key:
        return self.account_id, self.message_id


class ChargeRecords(Protocol):
    """Message charges: recorded once per (account, message), then applied, then posted."""

    def record(self, charges: Sequence[Charge], now_ms: int) -> list[Charge]: ...

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[Charge]: ...

    def mark_applied(self, applied: Iterable[Charge], now_ms: int) -> None: ...

    def mark_posted(self, keys: Iterable[Key], now_ms: int) -> None: ...

    def reservations_of(self, keys: Sequence[Key]) -> dict[Key, str]: ...

    def unposted(self, account_ids: Sequence[str]) -> list[Charge]: ...

    def record_again(self, charges: Iterable[Charge], now_ms: int) -> None: ...


class LedgerReads(Protocol):
    def balances(self, account_id: str) -> Balances:
        """What the ledger says an account holds, per channel and currency."""
        ...

    def credits(self, account_id: str) -> dict[str, LedgerCredits]:
        """Currency -> the account's credits for messages, as the ledger has them."""
        ...


class HotRecords(Protocol):
    """What SQL holds of the hot state, read for a rebuild."""

    def account_ids(self) -> list[str]: ...

    def held(self, account_id: str) -> list[HeldReservation]: ...

    def settled_for(self, account_id: str, charges: list[Charge]) -> list[HeldReservation]:
        """The settled reservations those charges were authorised with."""
        ...

    def recorded_top_ups(self, account_id: str) -> list[str]: ...

    def mark_top_ups_applied(self, top_up_ids: list[str], now_ms: int) -> None:
        """Top-ups in the ledger (so in a rebuilt balance): never to be applied again."""
        ...


class Postings(Protocol):
    def post(self, facts: list[Fact], reservations: list[Reserving]) -> None:
        """The facts' ledger transactions (credit placed) and the reservations' states."""
        ...

    def tell_hot(self, facts: list[Fact]) -> None:
        """After the commit: what the postings placed of credit, told to the hot balance."""
        ...


class SettlementWork(Transaction, Protocol):
    charges: ChargeRecords
    ledger: LedgerReads
    hot_records: HotRecords
    postings: Postings


class SettlementWorks(Protocol):
    """Opens units of work; `snapshot` reads every statement from one snapshot of SQL."""

    def __call__(self, snapshot: bool = False) -> SettlementWork: ...
