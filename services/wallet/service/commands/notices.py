"""The notices and balance alerts the wallet publishes, as plain values; the adapters write
each with its outbox event (billing.wallet.v1 messages) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BalanceAlert:
    """A balance crossed a threshold (low, zero), went back above one, or a recharge moved."""

    event_id: str
    kind: str
    account_id: str
    channel_id: str
    currency: str
    available_micros: int
    crossing_ms: int
    recovered_from: str = ""
    recharge_micros: int = 0
    problem: str = ""


@dataclass(frozen=True, slots=True)
class CreditNotice:
    """A credit grant expires soon (credit_expiring) or was written off (credit_expired)."""

    event_id: str
    kind: str
    account_id: str
    credit_id: str
    currency: str
    granted_micros: int
    remaining_micros: int
    expire_ms: int
    occur_ms: int


@dataclass(frozen=True, slots=True)
class DaysRunningOut:
    event_id: str
    account_id: str
    channel_id: str
    paid_through: str
    days_left: int
    occur_ms: int


@dataclass(frozen=True, slots=True)
class CampaignRefused:
    """Recipients of a batch refused for lack of funds, once per account and window."""

    event_id: str
    account_id: str
    channel_id: str
    batch_id: str
    refused_count: int
    reason: str
    currency: str
    available_micros: int
    required_micros: int
    needed_micros: int
    occur_ms: int
    window_end_ms: int


@dataclass(frozen=True, slots=True)
class SendFlagged:
    """A soft-limit send beyond the balance, once per account and window."""

    event_id: str
    account_id: str
    channel_id: str
    message_id: str
    currency: str
    available_micros: int
    occur_ms: int
    window_end_ms: int


Notice = CreditNotice | DaysRunningOut | CampaignRefused | SendFlagged
