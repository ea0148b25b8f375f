"""Events in: recorded once, with their deliveries and emails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.notifications.domain.events import Notice


@dataclass(frozen=True)
class Subscription:
    """An enabled endpoint and the event types it takes (none listed: every type)."""

    endpoint_id: str
    account_id: str
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class NewDelivery:
    delivery_id: str
    endpoint_id: str
    account_id: str
    event_id: str
    event_type: str
    created_ms: int
    give_up_ms: int


@dataclass(frozen=True)
class NewEmail:
    event_id: str
    account_id: str
    subject: str
    body: str
    invoice_id: str
    to_address: str
    created_ms: int
    give_up_ms: int


class EventRecords(Protocol):
    """Events received, and the deliveries and emails each one is recorded with."""

    def seen(self, event_ids: Sequence[str]) -> set[str]: ...

    def add(self, notices: Sequence[Notice], received_ms: int) -> None: ...

    def subscriptions(self, account_ids: Sequence[str]) -> list[Subscription]: ...

    def add_deliveries(self, deliveries: Sequence[NewDelivery]) -> None:
        """Pending, first attempt at once."""
        ...

    def add_emails(self, emails: Sequence[NewEmail]) -> None:
        """Pending, first attempt at once."""
        ...
