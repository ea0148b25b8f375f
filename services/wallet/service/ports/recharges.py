"""What auto-recharge needs from outside: a unit of work with the rules, the recharges and their
attempts, the alerts told of them and the outbox invoicing is asked through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.wallet.service.commands.recharges import (
    Attempt,
    Recharge,
    RechargeRequest,
    Rule,
)
from services.wallet.service.ports.notices import AlertRecords


class RuleRecords(Protocol):
    def store(self, rule: Rule, updated_ms: int) -> None:
        """The balance's rule (one per account and channel), replacing any."""
        ...

    def of_accounts(self, account_ids: Sequence[str]) -> list[Rule]: ...

    def of_account(self, account_id: str) -> list[Rule]:
        """By channel, then currency."""
        ...


class RechargeRecords(Protocol):
    def crossing_recorded(
        self, account_id: str, channel_id: str, currency: str, crossing_ms: int
    ) -> bool: ...

    def last_counted_ms(
        self, account_id: str, channel_id: str, currency: str, excluding: str | None
    ) -> int | None:
        """When a recharge the cool-off counts was last changed (none but `excluding`)."""
        ...

    def counted_since(
        self, account_id: str, channel_id: str, currency: str, since_ms: int, excluding: str | None
    ) -> int:
        """Recharges the monthly cap counts, created since since_ms."""
        ...

    def add(self, recharge: Recharge) -> None: ...

    def get(self, recharge_id: str) -> Recharge | None: ...

    def update(self, recharge_id: str, updated_ms: int, **values: object) -> None: ...

    def waiting_due(self, now_ms: int, limit: int) -> list[Recharge]:
        """Held back or declined, their next attempt due by now_ms, the earliest first."""
        ...

    def unanswered(self, updated_by_ms: int, limit: int) -> list[Recharge]:
        """Asked of invoicing and unchanged since updated_by_ms, the oldest first."""
        ...

    def page(self, account_id: str, limit: int, offset: int) -> list[Recharge]:
        """The newest first."""
        ...


class AttemptRecords(Protocol):
    def get(self, idempotency_key: str) -> Attempt | None: ...

    def known(self, idempotency_key: str) -> bool: ...

    def requested_ms(self, idempotency_key: str) -> int | None: ...

    def add(self, attempt: Attempt) -> None: ...

    def update(self, idempotency_key: str, updated_ms: int, **values: object) -> None: ...

    def of_recharges(self, recharge_ids: Sequence[str]) -> list[Attempt]:
        """By attempt number."""
        ...


class RechargeRequests(Protocol):
    def publish(self, request: RechargeRequest) -> None:
        """Through the outbox: leaves once the unit of work commits."""
        ...


class RechargeWork(Transaction, Protocol):
    rules: RuleRecords
    recharges: RechargeRecords
    attempts: AttemptRecords
    requests: RechargeRequests
    alerts: AlertRecords  # in this unit of work's transaction
    rules_set: Replies[Rule]

    def lock_account(self, account_id: str) -> None: ...
