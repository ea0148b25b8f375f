"""The hot store as the send path sees it: authorisations, settlements, windows, and what a
rebuild writes. The only way the send path's use cases reach Redis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.wallet.domain.partitions import Keys

# An authorisation script: (keys, args) -> Redis's answer.
SendScript = Callable[[Sequence[str], Sequence[Any]], Any]
Balances = dict[tuple[str, str], tuple[int, int]]  # (channel, currency) -> (available, held)


class HotStateBusy(Exception):
    """Redis is being rebuilt for this account or its partition: nothing changed; try again."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settle.lua answered about one reservation (or one message's charge)."""

    outcome: str  # done | same | ended | too_much | unknown
    state: str = ""
    amount_micros: int = 0
    committed_micros: int = 0
    account_id: str = ""
    channel_id: str = ""
    currency: str = ""
    message_id: str = ""
    expire_ms: int = 0
    credit_micros: int = 0  # of amount_micros, the part drawn from credits
    wrote_end: bool = False  # a charge: this call wrote the ledger entry that ends it


@dataclass(frozen=True, slots=True)
class HeldReservation:
    """A reservation as SQL records it, to be written to Redis again."""

    reservation_id: str
    channel_id: str
    currency: str
    amount_micros: int
    credit_micros: int
    message_id: str
    expire_ms: int
    state: str = "held"
    committed_micros: int = 0


@dataclass(frozen=True, slots=True)
class LedgerCredits:
    """What the SQL ledger says of an account's credits for messages in one currency."""

    available: int  # left on the grants in the hot balance (applied, not written off)
    held: int  # credit-held: reserved for messages not yet settled
    grants: dict[str, tuple[int, int]]  # credit_id -> (left, expire_ms)


@dataclass
class HotSnapshot:
    """An account's hot state as SQL has it."""

    balances: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    holds: list[HeldReservation] = field(default_factory=list)
    settled: list[HeldReservation] = field(default_factory=list)  # for charges applied again
    credits: dict[str, LedgerCredits] = field(default_factory=dict)
    applied_top_ups: list[str] = field(default_factory=list)  # in the balance already


@dataclass(frozen=True, slots=True)
class CreditBalance:
    """An account's hot credit balance in one currency (micros)."""

    available: int = 0
    held: int = 0
    returning: int = 0  # unused credit of settled reservations, not yet placed back


class SendStore(Protocol):
    @property
    def authorise(self) -> SendScript: ...

    @property
    def authorise_batch(self) -> SendScript: ...

    def settle(
        self,
        keys: Keys,
        account_id: str,
        reservation_id: str,
        action: str,
        amount: int,
        now_ms: int,
        charge: tuple[str, str, str] = ("", "", ""),
    ) -> Settlement: ...

    def overdue_reservations(self, keys: Keys, now_ms: int, limit: int) -> list[str]: ...

    def reservation_account(self, keys: Keys, reservation_id: str) -> str | None: ...

    def forget_overdue(self, keys: Keys, reservation_id: str) -> None:
        """Take a reservation that is gone out of the expiry index."""
        ...

    def open_window(self, key: str, expire_ms: int, now_ms: int) -> int: ...

    def message_records(self, messages: Sequence[tuple[Keys, str, str]]) -> list[Any]: ...

    def ready(self, partitions: Sequence[Keys]) -> bool: ...


class HotBalances(Protocol):
    """What the reconciler compares with the ledger."""

    def balances(self, keys: Keys, account_id: str) -> Balances: ...

    def credit_balances(self, keys: Keys, account_id: str) -> dict[str, CreditBalance]: ...


class Rebuilds(Protocol):
    """What a recovery does to the hot state."""

    def unready(self, partitions: Sequence[Keys]) -> list[Keys]: ...

    def mark_ready(self, keys: Keys) -> None: ...

    def lock(self, key: str, owner: str, ttl_ms: int) -> bool: ...

    def unlock(self, key: str, owner: str) -> None: ...

    def fence(self, keys: Keys, account_id: str) -> None: ...

    def unfence(self, keys: Keys, account_id: str) -> None: ...

    def restore(self, keys: Keys, account_id: str, snapshot: HotSnapshot) -> None: ...


class LedgerStream(Protocol):
    """A partition's ledger stream as the projector reads it whole."""

    def ledger_entries(self, keys: Keys, after: str, count: int) -> list[Any]:
        """At most `count` entries (id, fields) after `after` ("-" for the first)."""
        ...
