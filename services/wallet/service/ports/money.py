"""What the money use cases (top-ups, reversals, credits, auto-recharge) need from outside: a
unit of work on the SQL ledger with its repositories, and the hot store's money side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.wallet.domain.ledger import Transaction as Posting
from services.wallet.domain.partitions import Keys
from services.wallet.service.commands.credits import Credit, CreditRecord, Redeemed, Redemption
from services.wallet.service.commands.money import (
    LedgerEntry,
    ReversalRecord,
    TopUpRecord,
)


class DuplicateKey(Exception):
    """A record with the same idempotency key was written concurrently: read it back."""


class TopUpRecords(Protocol):
    def find(self, account_id: str, idempotency_key: str) -> TopUpRecord | None: ...

    def credited_transfer(self, account_id: str, transfer_reference: str) -> TopUpRecord | None:
        """The top-up that credited this bank transfer, if any."""
        ...

    def add(self, record: TopUpRecord) -> None:
        """Raises DuplicateKey when the account has a top-up under the same key."""
        ...

    def mark_applied(self, top_up_id: str, applied_ms: int) -> TopUpRecord: ...

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[TopUpRecord]:
        """Top-ups recorded at most at cutoff_ms and not applied yet, oldest first."""
        ...

    def page(
        self, account_id: str, newest_first: bool, limit: int, offset: int
    ) -> list[TopUpRecord]: ...


class ReversalRecords(Protocol):
    def find(self, account_id: str, idempotency_key: str) -> ReversalRecord | None: ...

    def reversed_so_far(self, top_up_id: str) -> tuple[int, int]:
        """(amount, fee) micros already taken back from the top-up."""
        ...

    def add(self, record: ReversalRecord) -> ReversalRecord: ...

    def mark_applied(self, reversal_id: str, applied_ms: int) -> ReversalRecord: ...

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[ReversalRecord]: ...


class LedgerRecords(Protocol):
    def write(self, postings: Sequence[Posting]) -> None: ...

    def balance(self, ledger_account: str) -> int: ...

    def entries(
        self, account_id: str, newest_first: bool, limit: int, offset: int
    ) -> list[LedgerEntry]: ...


class ChannelNumbers(Protocol):
    def display_phone(self, account_id: str, channel_id: str) -> str:
        """The live channel's phone number ("" when there is none)."""
        ...


class CreditRecords(Protocol):
    def add(self, record: CreditRecord) -> None: ...

    def page(self, account_id: str, limit: int, offset: int) -> list[CreditRecord]:
        """Oldest grant first."""
        ...

    def remaining(self, account_id: str, records: Sequence[CreditRecord]) -> dict[str, int]:
        """What the ledger says is left of each credit (by credit id)."""
        ...

    def redemptions(self, account_id: str, credit_ids: Sequence[str]) -> list[Redemption]: ...

    def usable(
        self, account_id: str, applies_to: str, now_ms: int, limit: int
    ) -> list[CreditRecord]:
        """Unexpired grants an invoice may draw on, none for messages: the lowest priority
        first, then the earliest expiry."""
        ...

    def add_redemption(
        self, redemption_id: str, redemption: Redemption, account_id: str, idempotency_key: str
    ) -> None: ...

    def unapplied(self, now_ms: int, recorded_by_ms: int, limit: int) -> list[CreditRecord]:
        """Unexpired grants for messages that did not reach the hot balance, oldest first."""
        ...

    def expired(self, account_id: str, now_ms: int, limit: int) -> list[CreditRecord]:
        """Expired grants not written off (of one account, or of all when ""), earliest first."""
        ...

    def mark_written_off(self, credit_id: str, at_ms: int) -> None: ...


class MoneyWork(Transaction, Protocol):
    """One SQL transaction on the ledger and the records money moves with."""

    top_ups: TopUpRecords
    reversals: ReversalRecords
    ledger: LedgerRecords
    channels: ChannelNumbers
    credits: CreditRecords
    granted: Replies[Credit]
    redeemed: Replies[Redeemed]

    def lock_account(self, account_id: str) -> None:
        """The account's write lock, as the transaction's first statement (NotFound if none)."""
        ...


class HeldCredit(Protocol):
    @property
    def available(self) -> int: ...

    @property
    def held(self) -> int: ...

    @property
    def returning(self) -> int: ...


class HotMoney(Protocol):
    """The hot balances' money side (the only way to Redis for these use cases)."""

    def apply_top_up(
        self,
        keys: Keys,
        account_id: str,
        channel_id: str,
        currency: str,
        top_up_id: str,
        amount_micros: int,
    ) -> bool:
        """Once per top-up id; raises HotStateBusy while the state is rebuilt."""
        ...

    def balances(self, keys: Keys, account_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(channel, currency) -> (available, held) micros."""
        ...

    def credit_balances(self, keys: Keys, account_id: str) -> Mapping[str, HeldCredit]: ...

    def apply_credit(
        self,
        keys: Keys,
        account_id: str,
        currency: str,
        credit_id: str,
        amount_micros: int,
        expire_ms: int,
        now_ms: int,
    ) -> str:
        """Add a grant to the hot credit balance once: 'new', or the state it already has."""
        ...

    def start_credit_expiry(
        self, keys: Keys, account_id: str, currency: str, credit_id: str, now_ms: int
    ) -> str:
        """'new' when the projector is now asked to write the grant off; 'expired' when it
        never reached Redis; else its state."""
        ...


class HotCredits(Protocol):
    """What the projector tells the hot credit balance once a batch is written."""

    def credit_expired(
        self, keys: Keys, account_id: str, currency: str, credit_id: str, written_off: int
    ) -> bool: ...

    def credit_returned(
        self,
        keys: Keys,
        account_id: str,
        currency: str,
        reservation_id: str,
        back_micros: int,
        forfeited_micros: int,
    ) -> bool: ...
