"""What notifications' use cases need from outside, as ports: a unit of work per transaction
with its repositories, a mailer, and what a webhook attempt reports. Adapters implement them;
the bootstrap wires them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.common.unit_of_work import Transaction
from services.notifications.domain.events import Notice
from services.notifications.service.commands import DeliveryView, EndpointView, UserAccess


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    # A stable id per (event, recipient): a resent email carries the same Message-ID.
    message_id: str = ""


class Mailer(Protocol):
    def send(self, emails: list[Email]) -> list[str]:
        """Send each; the addresses sent to (an error after some is raised with them kept)."""
        ...


class MailError(Exception):
    def __init__(self, message: str, sent: list[str]) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int  # 0: no answer
    latency_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


class KeyTaken(Exception):
    """An endpoint was created under the same idempotency key at the same time."""


@dataclass(frozen=True)
class EndpointFields:
    """The fields of an endpoint a change sets; None leaves one as it is."""

    url: str | None = None
    description: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None


class EndpointRecords(Protocol):
    """An account's endpoints and their signing secrets (deleted endpoints are not found)."""

    def load(self, account_id: str, endpoint_id: str) -> EndpointView | None: ...

    def by_key(self, account_id: str, key: str) -> EndpointView | None: ...

    def page(self, account_id: str, limit: int, offset: int) -> list[EndpointView]: ...

    def count(self, account_id: str) -> int: ...

    def add(self, endpoint: EndpointView, idempotency_key: str | None) -> None:
        """Raises KeyTaken when the key is already used."""
        ...

    def change(self, endpoint_id: str, fields: EndpointFields, now_ms: int) -> None:
        """Enabling an endpoint also forgets why and since when it was failing."""
        ...

    def delete(self, endpoint_id: str, now_ms: int) -> None: ...

    def add_secret(
        self, endpoint_id: str, secret: str, now_ms: int, rotation_key: str | None = None
    ) -> None: ...

    def first_secret(self, endpoint_id: str) -> str: ...

    def rotated(self, endpoint_id: str, rotation_key: str) -> tuple[str, int] | None:
        """(secret, created_ms) of the rotation made under this key, if any."""
        ...

    def expire_secrets(self, endpoint_id: str, expire_ms: int) -> None:
        """Every secret of the endpoint stops signing at `expire_ms` at the latest."""
        ...


class DeliveryLog(Protocol):
    """Deliveries of events to an endpoint, newest first, with their latest attempts."""

    def page(
        self, endpoint_id: str, state: str | None, limit: int, offset: int
    ) -> list[DeliveryView]: ...

    def load(self, endpoint_id: str, delivery_id: str) -> DeliveryView | None: ...

    def failed_since(self, endpoint_id: str, since_ms: int, limit: int) -> list[str]: ...

    def send_again(
        self, delivery_ids: Sequence[str], now_ms: int, give_up_ms: int, only_failed: bool
    ) -> None:
        """Pending again from now; `only_failed` leaves deliveries no longer failed alone."""
        ...

    def fail_pending(self, endpoint_id: str, now_ms: int) -> None: ...


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


@dataclass(frozen=True)
class PendingEmail:
    event_id: str
    account_id: str
    subject: str
    body: str
    invoice_id: str
    to_address: str  # set: to this address alone
    sent_to: str  # comma-separated, those already sent to
    attempts: int
    next_attempt_ms: int
    give_up_ms: int


class EmailRecords(Protocol):
    """Emails waiting to go out, and who is told an account's billing news."""

    def due(self, now_ms: int, limit: int) -> list[PendingEmail]: ...

    def lease(self, email: PendingEmail, until_ms: int) -> bool:
        """Take the email until `until_ms` unless another sender took it first."""
        ...

    def billing_users(self, account_id: str, limit: int) -> list[str]:
        """Addresses of the account's users who opted in and may see billing, by address."""
        ...

    def settle(
        self,
        event_id: str,
        state: str,
        attempts: int,
        next_attempt_ms: int | None,
        sent_to: str,
        problem: str,
        now_ms: int,
    ) -> None: ...


@dataclass(frozen=True)
class DueDelivery:
    delivery_id: str
    endpoint_id: str
    account_id: str
    event_id: str
    attempts: int
    next_attempt_ms: int
    give_up_ms: int


@dataclass(frozen=True)
class WebhookTarget:
    endpoint_id: str
    url: str
    live: bool  # enabled and not deleted


@dataclass(frozen=True)
class RecordedEvent:
    event_id: str
    event_type: str
    occurred_ms: int
    data_json: str


class DispatchRecords(Protocol):
    """What the dispatcher claims, sends and records; and the health of endpoints."""

    def due(self, now_ms: int, limit: int) -> list[DueDelivery]: ...

    def lease(self, delivery: DueDelivery, until_ms: int) -> bool:
        """Take the delivery until `until_ms` unless another dispatcher took it first."""
        ...

    def targets(self, endpoint_ids: Sequence[str]) -> dict[str, WebhookTarget]: ...

    def events(self, event_ids: Sequence[str]) -> dict[str, RecordedEvent]: ...

    def signing_secrets(self, endpoint_ids: Sequence[str], now_ms: int) -> dict[str, list[str]]:
        """The secrets that sign now, per endpoint, newest first."""
        ...

    def add_attempt(
        self, delivery_id: str, now_ms: int, status_code: int, latency_ms: int, excerpt: str
    ) -> None: ...

    def settle(
        self,
        delivery_id: str,
        state: str,
        attempts: int | None,
        next_attempt_ms: int | None,
        now_ms: int,
    ) -> None:
        """attempts None: left as it is."""
        ...

    def clear_failing(self, endpoint_id: str) -> None: ...

    def mark_failing(self, endpoint_id: str, now_ms: int) -> tuple[int, bool] | None:
        """(failing since, enabled) once the endpoint is marked failing, if it still exists."""
        ...

    def disable(self, endpoint_id: str, reason: str, now_ms: int) -> None: ...


class UserRecords(Protocol):
    def apply(self, change: UserAccess) -> None:
        """Keep the membership unless an equal or newer version is kept."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: committed by `commit`, rolled back on leaving without it."""

    endpoints: EndpointRecords
    deliveries: DeliveryLog
    users: UserRecords
    events: EventRecords
    emails: EmailRecords
    dispatch: DispatchRecords


class UnitsOfWork(Protocol):
    def __call__(self) -> UnitOfWork: ...
