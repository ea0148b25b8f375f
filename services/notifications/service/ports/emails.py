"""Emails waiting to go out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
