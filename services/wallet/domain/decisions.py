"""What an authorisation answers, and the words a person reads when a send is refused."""

from __future__ import annotations

from typing import NamedTuple

ALLOWED = "allowed"
FLAGGED = "flagged"
DENIED = "denied"

INSUFFICIENT_FUNDS = "insufficient_funds"
UNKNOWN_ACCOUNT = "unknown_account"
ACCOUNT_SUSPENDED = "account_suspended"
CHANNEL_HAS_NO_DAYS = "channel_has_no_days"
OVERDRAFT_LIMIT_REACHED = "overdraft_limit_reached"
CREDIT_LIMIT_REACHED = "credit_limit_reached"
NO_RATE_IN_FORCE = "no_rate_in_force"
BATCH_NOT_COVERED = "batch_not_covered"

_MESSAGES = {
    INSUFFICIENT_FUNDS: (
        "The message could not be sent: the available balance does not cover a paid message "
        "(a negative balance is a debt, paid first from the next top-up). Top up the balance "
        "and optionally enable auto-recharge so that it does not run out; free messages and "
        "incoming messages still go through."
    ),
    CREDIT_LIMIT_REACHED: (
        "The account's unpaid charges have reached its credit limit; pay the open invoice or "
        "ask for a higher limit. Free messages and incoming messages still go through."
    ),
    UNKNOWN_ACCOUNT: "No wallet account has this id; create the account before sending.",
    ACCOUNT_SUSPENDED: "The account is suspended; reactivate it to send messages.",
    CHANNEL_HAS_NO_DAYS: "This phone number has no paid days left; allocate days to it.",
    OVERDRAFT_LIMIT_REACHED: (
        "The account has reached its overdraft limit; top up the balance or raise the limit."
    ),
    NO_RATE_IN_FORCE: "No rate card prices this message now; the send cannot be priced.",
    BATCH_NOT_COVERED: (
        "The campaign was not started: the available balance does not cover every recipient. "
        "Top up the balance, or send the campaign in best-effort mode."
    ),
}
FLAGGED_MESSAGE = (
    "Allowed on credit: the balance does not cover this message and goes below zero; "
    "top up the balance to stay within the overdraft limit."
)


def message_for(decision: str, reason: str) -> str:
    """The sentence a person can act on; empty for a plain allowed send."""
    if decision == DENIED:
        return _MESSAGES.get(reason, "The message could not be sent.")
    if decision == FLAGGED:
        return FLAGGED_MESSAGE
    return ""


def funds_decision(available_micros: int, price_micros: int, overdraft_micros: int | None) -> str:
    """Allowed when funds cover the price; flagged down to the overdraft limit; else denied.

    overdraft_micros is None for prepaid accounts (nothing below zero).
    The Lua scripts apply the same rule atomically; this is its plain statement, tested.
    """
    after = available_micros - price_micros
    if after >= 0:
        return ALLOWED
    if overdraft_micros is not None and after >= -overdraft_micros:
        return FLAGGED
    return DENIED


class SendRecord(NamedTuple):
    """What the authorisation scripts keep per message and answer a retry with:
    decision|reason|reservation|balance_after|expire_ms|price, as Redis returns it (bytes).

    reservation_id is empty when nothing was reserved (refused or free), price when no rate
    priced the send; price is an encoded PriceBreakdown and may itself hold "|".
    """

    decision: bytes
    reason: bytes
    reservation_id: bytes
    balance_after: bytes
    expire_ms: bytes
    price: bytes


SEND_RECORD_FIELDS = len(SendRecord._fields)


def parse_send_record(record: bytes) -> SendRecord:
    """The one reading of a send record; ValueError for anything the scripts do not write."""
    parts = record.split(b"|", SEND_RECORD_FIELDS - 1)
    if len(parts) != SEND_RECORD_FIELDS:
        raise ValueError(f"a send record has {SEND_RECORD_FIELDS} fields, got {len(parts)}")
    return SendRecord(*parts)
