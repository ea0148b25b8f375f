"""The words of each producer's event: plain values in (decoded at the edge), a Notice out, or
None for a kind this service does not announce."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.notifications.domain.events import (
    BALANCE_KINDS,
    CREDIT_KINDS,
    INVOICE_ISSUED,
    OPERATIONS_ALERT,
    SIGN_IN_LOCKED,
    Notice,
)


@dataclass(frozen=True, slots=True)
class Money:
    amount_micros: int
    currency_code: str


@dataclass(frozen=True, slots=True)
class Occurred:
    """What every event carries: its id, its account ("" for operators), when it happened and
    its fields as a webhook shows them."""

    event_id: str
    account_id: str
    occurred_ms: int
    data: dict[str, Any]


def money(value: Money) -> str:
    """ "USD 12.50": exact (micros never rounded away), at least two decimals."""
    amount = Decimal(value.amount_micros) / Decimal(1_000_000)
    text = f"{amount:f}"
    if "." in text:
        text = text.rstrip("0")
        whole, _, part = text.partition(".")
        text = f"{whole}.{part.ljust(2, '0')}"
    else:
        text += ".00"
    return f"{value.currency_code} {text}".strip()


def _where(channel_id: str) -> str:
    return f" (phone number {channel_id})" if channel_id else ""


def _notice(
    event: Occurred, event_type: str, subject: str, lines: tuple[str, ...], **rest: Any
) -> Notice:
    return Notice(
        event.event_id,
        event.account_id,
        event_type,
        event.data,
        event.occurred_ms,
        subject,
        lines,
        **rest,
    )


def balance(
    event: Occurred,
    kind: str,
    channel_id: str,
    available_funds: Money,
    recharge_amount: Money,
    problem: str,
) -> Notice | None:
    event_type = BALANCE_KINDS.get(kind)
    if event_type is None:
        return None
    where = _where(channel_id)
    available = money(available_funds)
    words = {
        "balance.low": (
            f"Your balance{where} is low: {available}",
            f"The available balance{where} fell below your low-balance threshold.",
            "Add funds or switch on auto-recharge so that messages keep going out.",
        ),
        "balance.zero": (
            f"Your balance{where} has run out",
            f"The available balance{where} is {available}.",
            "Paid messages are refused until funds are added; incoming messages still arrive.",
        ),
        "balance.recovered": (
            f"Your balance{where} is back above its threshold",
            f"The available balance{where} is {available}.",
        ),
        "recharge.succeeded": (
            f"Auto-recharge added {money(recharge_amount)}{where}",
            f"Your card was charged and {money(recharge_amount)} added to the balance.",
        ),
        "recharge.failed": (
            f"Auto-recharge failed{where}",
            "We could not charge your card for the auto-recharge"
            + (f": {problem}." if problem else "."),
            "Check your payment method, or add funds by hand.",
        ),
        "recharge.held": (
            f"Auto-recharge is waiting{where}",
            "The balance crossed your auto-recharge threshold, but the cool-off or the monthly "
            "cap holds the recharge back until it is allowed.",
        ),
    }[event_type]
    return _notice(event, event_type, words[0], words[1:])


def campaign_refused(
    event: Occurred,
    channel_id: str,
    refused_count: int,
    reason: str,
    needed: Money,
    required: Money,
    available: Money,
) -> Notice:
    return _notice(
        event,
        "campaign.refused",
        f"A campaign was refused: add {money(needed)} to send it",
        (
            f"{refused_count} messages{_where(channel_id)} were refused for lack of "
            f"credit ({reason}).",
            f"They need {money(required)}; the available balance is {money(available)}.",
            f"Add at least {money(needed)} and send the campaign again.",
        ),
    )


def send_flagged(event: Occurred, channel_id: str, available: Money) -> Notice:
    return _notice(
        event,
        "send.flagged",
        "Messages are being sent beyond your balance",
        (
            f"Messages{_where(channel_id)} went out beyond the balance "
            f"({money(available)} available) under your soft limit.",
            "Add funds to settle them; you hear from us at most once an hour about this.",
        ),
    )


def credit(
    event: Occurred,
    kind: str,
    credit_id: str,
    expire_date: dt.date,
    granted: Money,
    remaining: Money,
) -> Notice | None:
    event_type = CREDIT_KINDS.get(kind)
    if event_type is None:
        return None
    expire = expire_date.isoformat()
    if event_type == "credit.expiring":
        subject = f"{money(remaining)} of credit expires on {expire}"
    else:
        subject = f"A credit expired on {expire}"
    return _notice(
        event,
        event_type,
        subject,
        (f"Credit {credit_id}: granted {money(granted)}, {money(remaining)} left.",),
    )


def days_running_out(event: Occurred, channel_id: str, days_left: int, paid_through: str) -> Notice:
    return _notice(
        event,
        "days.running_out",
        f"Channel {channel_id} has {days_left} paid days left",
        (
            f"Channel {channel_id} may send until {paid_through}.",
            "Allocate days to it so that it keeps sending.",
        ),
    )


def invoice(
    event: Occurred,
    event_type: str,
    invoice_id: str,
    number: str,
    total: Money,
    amount_due: Money,
    payment_failure_reason: str,
) -> Notice | None:
    if event_type not in ("invoice.issued", "invoice.paid", "invoice.payment_failed"):
        return None
    number = number or invoice_id
    subject, lines = {
        "invoice.issued": (
            f"Invoice {number}: {money(total)}",
            (
                f"Invoice {number} was issued; {money(amount_due)} is due.",
                "The invoice is attached as a PDF.",
            ),
        ),
        "invoice.paid": (f"Invoice {number} is paid", (f"Thank you: {number} is paid.",)),
        "invoice.payment_failed": (
            f"Payment of invoice {number} failed",
            (
                f"We could not collect {money(amount_due)} for invoice {number}"
                + (f": {payment_failure_reason}." if payment_failure_reason else "."),
                "Check your payment method, or pay the invoice in the billing section.",
            ),
        ),
    }[event_type]
    return _notice(
        event,
        event_type,
        subject,
        lines,
        invoice_id=invoice_id if event_type == INVOICE_ISSUED else "",
    )


def subscription_cancelled(event: Occurred, subscription_id: str, end_date: str) -> Notice:
    return _notice(
        event,
        "subscription.cancelled",
        "Your subscription was cancelled",
        (f"Subscription {subscription_id} ends on {end_date}.",),
    )


def top_up(
    event: Occurred, event_type: str, funding_id: str, amount: Money, failure_reason: str
) -> Notice | None:
    if event_type == "top_up.succeeded":
        subject = f"{money(amount)} was added to your balance"
        lines: tuple[str, ...] = (f"Funding {funding_id} is credited.",)
    elif event_type == "top_up.failed":
        subject = f"Adding {money(amount)} failed"
        lines = (f"The payment was declined: {failure_reason or 'declined'}.",)
    else:
        return None
    return _notice(event, event_type, subject, lines)


def operations_alert(
    event: Occurred,
    service: str,
    kind: str,
    summary: str,
    stream: str,
    group: str,
    entry_id: str,
    error: str,
) -> Notice:
    return _notice(
        event,
        OPERATIONS_ALERT,
        f"[{service}] {kind}: {summary}"[:200],
        tuple(
            line
            for line in (
                summary,
                f"stream {stream}, group {group}, entry {entry_id}" if stream else "",
                f"last error: {error}" if error else "",
            )
            if line
        ),
    )


def sign_in_locked(
    event_id: str,
    occurred_ms: int,
    user_id: str,
    email: str,
    failures: int,
    locked_until: dt.datetime,
) -> Notice:
    """To the locked user alone (no account, no webhook): until when, and what to do."""
    until = locked_until.strftime("%Y-%m-%d %H:%M UTC")
    return Notice(
        event_id,
        "",
        SIGN_IN_LOCKED,
        {"user_id": user_id, "failures": failures, "locked_until": until},
        occurred_ms,
        f"Sign-in to your billing account is locked until {until}",
        (
            f"After {failures} failed sign-ins in a row, signing in as {email} is "
            f"locked until {until}.",
            "If this was you, wait until then and sign in with the right password.",
            "If it was not you, someone may be guessing your password: once you can sign in, "
            "change it, and tell your account's owner.",
        ),
        to_address=email,
    )
