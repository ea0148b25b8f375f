"""What the use cases need from outside, as ports: a unit of work per transaction with its
repositories, and the hot store. Adapters implement them; the bootstrap wires them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.common.unit_of_work import Transaction
from services.metering.domain.accounts import Account
from services.metering.domain.events import MessageEvent
from services.metering.domain.messages import MessageState
from services.metering.domain.windows import Window
from services.metering.service.commands import AccountChange, RecordedEvents
from services.metering.service.published import Published

Pair = tuple[str, str]  # (channel_id, contact)


@dataclass(frozen=True, slots=True)
class DailyCounters:
    """One (day, category, channel) row of summed usage counters."""

    local_date: str
    category: str
    channel_id: str
    notifications_sent: int
    paid_messages: int
    free_messages: int
    paid_conversations: int
    free_conversations: int
    charges_micros: int
    meta_cost_micros: int


@dataclass(frozen=True, slots=True)
class ReportedMessage:
    """An inbound event or an outbound message, as the usage report lists it."""

    occur_us: int
    chat_id: str
    session_id: str
    contact: str
    is_template: bool
    message_id: str
    channel_id: str
    row_id: int = 0  # an inbound event's row: its order among events of the same time


class UsageRecords(Protocol):
    """Events, message states, windows, counters and the outbox, inside one transaction."""

    def load_accounts(self, account_ids: Iterable[str]) -> dict[str, Account]: ...

    def insert_events(
        self, events: Sequence[MessageEvent], local_dates: Mapping[int, str]
    ) -> set[tuple[str, str, str]]: ...

    def lock_messages(
        self, events: Sequence[MessageEvent]
    ) -> dict[tuple[str, str], MessageState]: ...

    def update_messages(
        self,
        states: Iterable[MessageState],
        settlements: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> None: ...

    def inbound_times(
        self, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
    ) -> dict[Pair, list[tuple[int, bool]]]: ...

    def open_conversations(
        self, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
    ) -> dict[Pair, list[tuple[str, int, int]]]: ...

    def insert_conversations(self, rows: Sequence[dict[str, Any]]) -> set[str]: ...

    def record_first_days(self, firsts: Mapping[tuple[str, str, str], str]) -> None: ...

    def mark_active(self, masks: Mapping[tuple[str, str, str, str], int]) -> None: ...

    def add_daily_usage(
        self, counters: Mapping[tuple[str, str, str, str], Mapping[str, int]]
    ) -> None: ...

    def add_outbox(self, events: Sequence[Published]) -> None: ...

    def take_places(self, counts: Mapping[str, int]) -> dict[str, int]: ...


class RecordedReplies(Protocol):
    """RecordEvents' answers by idempotency key."""

    def find(self, key: str, request_sha256: str) -> RecordedEvents | None: ...

    def add(self, key: str, request_sha256: str, answer: RecordedEvents) -> None: ...


class AccountRecords(Protocol):
    def consume(self, stream: str, event_id: str) -> bool:
        """Note the event as consumed; False if it was before."""
        ...

    def store(self, change: AccountChange) -> None:
        """Keep the profile unless an equal or later update is kept."""
        ...

    def known(self, account_id: str) -> bool: ...


class UsageQueries(Protocol):
    """The read side: figures summed from what ingestion wrote."""

    def daily_counters(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> list[DailyCounters]: ...

    def users_added(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> list[tuple[str, int]]: ...

    def active_users(self, account_id: str, channel_id: str, masks: Mapping[str, int]) -> int:
        """Distinct contacts active on a day of `masks` (month -> day bits)."""
        ...

    def charges_micros(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> int: ...

    def charge_lines(
        self, account_id: str, channel_id: str, start_us: int, end_us: int
    ) -> list[tuple[str, str, int, int]]:
        """(category, market, unit price, quantity) of committed charges settled in the span."""
        ...

    def inbound_page(
        self, account_id: str, channel_id: str, after: tuple[int, int], upper_us: int, rows: int
    ) -> list[ReportedMessage]: ...

    def outbound_page(
        self, account_id: str, channel_id: str, after: tuple[int, str], upper_us: int, rows: int
    ) -> list[ReportedMessage]: ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: committed by `commit`, rolled back on leaving without it."""

    records: UsageRecords
    replies: RecordedReplies
    accounts: AccountRecords
    queries: UsageQueries


class UnitsOfWork(Protocol):
    """Opens units of work; `one_writer` when the database takes one writing transaction at a
    time (SQLite), so writers take turns rather than fail on a busy database."""

    one_writer: bool

    def __call__(self) -> UnitOfWork: ...


class HotStore(Protocol):
    """Metering's only way to Redis: a mirror of live free windows."""

    def remember_windows(self, windows: Iterable[Window]) -> None: ...
