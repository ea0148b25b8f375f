"""Auto-recharge as plain values: the rule per balance, the recharge of each crossing with its
attempts, and invoicing's answers to them."""

from __future__ import annotations

from dataclasses import dataclass

Balance = tuple[str, str, str]  # (account, channel, currency)


@dataclass(frozen=True, slots=True)
class Rule:
    account_id: str
    channel_id: str
    currency: str
    enabled: bool
    threshold_micros: int
    amount_micros: int
    cool_off_s: int
    max_per_month: int


@dataclass(frozen=True, slots=True)
class RuleGiven:
    """A rule as a request gives it (checked by the use case)."""

    account_id: str
    channel_id: str
    currency_code: str
    enabled: bool
    threshold_micros: int
    amount_micros: int
    cool_off_seconds: int
    max_per_month: int


@dataclass(frozen=True, slots=True)
class SetAutoRecharge:
    """Without an idempotency key a PUT: the same request again changes nothing."""

    account_id: str
    rule: RuleGiven
    idempotency_key: str = ""
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class Recharge:
    recharge_id: str
    account_id: str
    channel_id: str
    currency_code: str
    crossing_ms: int
    amount_micros: int
    fee_micros: int
    state: str
    top_up_id: str | None
    problem: str
    created_ms: int
    updated_ms: int
    attempts: int
    next_attempt_ms: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    idempotency_key: str
    recharge_id: str
    account_id: str
    attempt: int
    state: str
    problem: str
    payment_reference: str
    top_up_id: str | None
    requested_ms: int
    updated_ms: int


@dataclass(frozen=True, slots=True)
class RechargeHistory:
    recharge: Recharge
    attempts: list[Attempt]


@dataclass(frozen=True, slots=True)
class RechargeRequest:
    """What invoicing is asked to charge: one attempt of one recharge."""

    event_id: str
    recharge: Recharge
    attempt: int
    idempotency_key: str
    request_ms: int


@dataclass(frozen=True, slots=True)
class RechargeSucceeded:
    account_id: str
    idempotency_key: str
    payment_reference: str
    top_up_id: str


@dataclass(frozen=True, slots=True)
class RechargeDeclined:
    account_id: str
    idempotency_key: str
    reason: str
    final: bool


@dataclass(frozen=True, slots=True)
class RechargeActionRequired:
    account_id: str
    idempotency_key: str
