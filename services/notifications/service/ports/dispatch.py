"""Webhook dispatch: what is due, where it goes, and what an attempt reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int  # 0: no answer
    latency_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


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
