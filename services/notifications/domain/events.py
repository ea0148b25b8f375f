"""What the notifications service announces: its event types and a notice, one event as a
person reads it (its account, its words). Pure: plain values only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPERATIONS_ALERT = "operations.alert"
ENDPOINT_DISABLED = "endpoint.disabled"
INVOICE_ISSUED = "invoice.issued"
# Every type an endpoint may subscribe to, with what it announces (GET /v1/webhook-event-types).
EVENT_TYPE_DESCRIPTIONS: dict[str, str] = {
    "balance.low": "The available balance fell below the low-balance threshold.",
    "balance.zero": "The available balance reached zero: paid messages are refused.",
    "balance.recovered": "The balance is back above the low-balance threshold.",
    "recharge.succeeded": "An auto-recharge charged the card and added funds.",
    "recharge.failed": "An auto-recharge could not charge the card.",
    "recharge.held": "Auto-recharge is paused after failing repeatedly.",
    "campaign.refused": "Messages of a campaign were refused for lack of funds.",
    "send.flagged": "Messages went out below zero, within the overdraft limit.",
    "credit.expiring": "Promotional credit expires within days.",
    "credit.expired": "Promotional credit expired unused.",
    "days.running_out": "A phone number's prepaid days are about to run out.",
    "top_up.succeeded": "Funds paid by card were added to the balance.",
    "top_up.failed": "A card payment to add funds failed.",
    INVOICE_ISSUED: "An invoice was issued (the email carries its PDF).",
    "invoice.paid": "An invoice was paid.",
    "invoice.payment_failed": "Charging the card for an invoice failed.",
    "subscription.cancelled": "A subscription was cancelled; service ends with the cycle.",
    ENDPOINT_DISABLED: "A webhook endpoint was disabled after failing for days.",
}
EVENT_TYPES = tuple(EVENT_TYPE_DESCRIPTIONS)
BALANCE_KINDS = {
    "low_balance": "balance.low",
    "zero_balance": "balance.zero",
    "balance_recovered": "balance.recovered",
    "recharge_succeeded": "recharge.succeeded",
    "recharge_failed": "recharge.failed",
    "recharge_held": "recharge.held",
}
CREDIT_KINDS = {"credit_expiring": "credit.expiring", "credit_expired": "credit.expired"}


SIGN_IN_LOCKED = "sign_in.locked"


@dataclass(frozen=True)
class Notice:
    """One event as the notifications service handles it."""

    event_id: str
    # Empty: an event for the provider's operators (no webhook; email to the operators).
    account_id: str
    event_type: str
    data: dict[str, Any]
    occurred_ms: int
    subject: str
    lines: tuple[str, ...] = ()
    # invoice.issued: the invoice whose PDF the email carries.
    invoice_id: str = ""
    emailed: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    # Set: the email goes to this address alone (a notice to one user), not the account's.
    to_address: str = ""


def endpoint_disabled(
    event_id: str, account_id: str, endpoint_id: str, url: str, failing_since: str, now_ms: int
) -> Notice:
    """The email (and event) that tells an account one of its endpoints was switched off."""
    return Notice(
        event_id,
        account_id,
        ENDPOINT_DISABLED,
        {"endpoint_id": endpoint_id, "url": url, "failing_since": failing_since},
        now_ms,
        "A webhook endpoint was disabled",
        (
            f"Every delivery to {url} has failed since {failing_since}, so it was disabled.",
            "Fix the endpoint, enable it again and replay the failed deliveries.",
        ),
    )
