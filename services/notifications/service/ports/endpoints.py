"""An account's endpoints, their secrets, and the log of their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.notifications.service.commands import DeliveryView, EndpointView


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
