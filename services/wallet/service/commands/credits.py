"""Credits as plain values: grants, redemptions against invoices, and what is left of each."""

from __future__ import annotations

from dataclasses import dataclass

from services.wallet.service.commands.money import Money


@dataclass(frozen=True, slots=True)
class GrantCredit:
    """`expire_ms` None: the request named no expiry. `request_sha256` tells a retry (same key,
    same request) from a misuse."""

    account_id: str
    amount: Money
    expire_ms: int | None
    priority: int
    applies_to: tuple[str, ...]
    reason: str
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class RedeemCredits:
    account_id: str
    invoice_id: str
    applies_to: str
    max_amount: Money
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class CreditRecord:
    """A grant as recorded; `applies_to` comma-separated, as stored."""

    credit_id: str
    account_id: str
    currency_code: str
    granted_micros: int
    expire_ms: int
    priority: int
    applies_to: str
    reason: str
    idempotency_key: str
    created_ms: int
    applied_ms: int | None = None
    written_off_ms: int | None = None

    @property
    def uses(self) -> list[str]:
        return self.applies_to.split(",")


@dataclass(frozen=True, slots=True)
class Credit:
    """A grant and what the ledger says is left of it."""

    record: CreditRecord
    remaining_micros: int


@dataclass(frozen=True, slots=True)
class Redemption:
    credit_id: str
    invoice_id: str
    currency_code: str
    amount_micros: int
    created_ms: int


@dataclass(frozen=True, slots=True)
class Redeemed:
    redemptions: list[Redemption]
    redeemed: Money


@dataclass(frozen=True, slots=True)
class CreditListing:
    credits: list[Credit]
    redemptions: list[Redemption]
    next_page_token: str
