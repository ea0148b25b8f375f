"""What each producer's event means to a person: its event type, its account, and the words of
its email. Pure: protobuf messages in, plain values out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billing.common.v1 import money_pb2, operations_pb2
from billing.gateway.v1 import events_pb2 as gateway_events
from billing.invoicing.v1 import events_pb2 as invoicing_events
from billing.wallet.v1 import notices_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

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


def money(value: money_pb2.Money) -> str:
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


def _data(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def _ms(message: Message, name: str = "occur_time") -> int:
    stamp = getattr(message, name)
    return int(stamp.seconds) * 1000 + int(stamp.nanos) // 1_000_000


def _where(channel_id: str) -> str:
    return f" (phone number {channel_id})" if channel_id else ""


def notice_of(type_name: str, payload: bytes) -> Notice | None:
    """The notice an entry of a producer's stream stands for; None for a type this service
    does not announce (a newer producer's event: read and skipped)."""
    decode = _DECODERS.get(type_name)
    if decode is None:
        return None
    return decode(payload)


def _balance(payload: bytes) -> Notice | None:
    alert = wallet.BalanceAlert.FromString(payload)
    event_type = BALANCE_KINDS.get(alert.kind)
    if event_type is None:
        return None
    where = _where(alert.channel_id)
    available = money(alert.available)
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
            f"Auto-recharge added {money(alert.recharge_amount)}{where}",
            f"Your card was charged and {money(alert.recharge_amount)} added to the balance.",
        ),
        "recharge.failed": (
            f"Auto-recharge failed{where}",
            "We could not charge your card for the auto-recharge"
            + (f": {alert.problem}." if alert.problem else "."),
            "Check your payment method, or add funds by hand.",
        ),
        "recharge.held": (
            f"Auto-recharge is waiting{where}",
            "The balance crossed your auto-recharge threshold, but the cool-off or the monthly "
            "cap holds the recharge back until it is allowed.",
        ),
    }[event_type]
    return Notice(
        alert.event_id,
        alert.account_id,
        event_type,
        _data(alert),
        _ms(alert),
        words[0],
        words[1:],
    )


def _campaign(payload: bytes) -> Notice:
    event = notices_pb2.CampaignRefused.FromString(payload)
    return Notice(
        event.event_id,
        event.account_id,
        "campaign.refused",
        _data(event),
        _ms(event),
        f"A campaign was refused: add {money(event.needed)} to send it",
        (
            f"{event.refused_count} messages{_where(event.channel_id)} were refused for lack of "
            f"credit ({event.reason}).",
            f"They need {money(event.required)}; the available balance is "
            f"{money(event.available)}.",
            f"Add at least {money(event.needed)} and send the campaign again.",
        ),
    )


def _flagged(payload: bytes) -> Notice:
    event = notices_pb2.SendFlagged.FromString(payload)
    return Notice(
        event.event_id,
        event.account_id,
        "send.flagged",
        _data(event),
        _ms(event),
        "Messages are being sent beyond your balance",
        (
            f"Messages{_where(event.channel_id)} went out beyond the balance "
            f"({money(event.available)} available) under your soft limit.",
            "Add funds to settle them; you hear from us at most once an hour about this.",
        ),
    )


def _credit(payload: bytes) -> Notice | None:
    event = notices_pb2.CreditNotice.FromString(payload)
    event_type = CREDIT_KINDS.get(event.kind)
    if event_type is None:
        return None
    expire = event.expire_time.ToDatetime().date().isoformat()
    if event_type == "credit.expiring":
        subject = f"{money(event.remaining)} of credit expires on {expire}"
    else:
        subject = f"A credit expired on {expire}"
    return Notice(
        event.event_id,
        event.account_id,
        event_type,
        _data(event),
        _ms(event),
        subject,
        (
            f"Credit {event.credit_id}: granted {money(event.granted)}, "
            f"{money(event.remaining)} left.",
        ),
    )


def _days(payload: bytes) -> Notice:
    event = notices_pb2.DaysRunningOut.FromString(payload)
    return Notice(
        event.event_id,
        event.account_id,
        "days.running_out",
        _data(event),
        _ms(event),
        f"Channel {event.channel_id} has {event.days_left} paid days left",
        (
            f"Channel {event.channel_id} may send until {event.paid_through}.",
            "Allocate days to it so that it keeps sending.",
        ),
    )


def _invoice(payload: bytes) -> Notice | None:
    event = invoicing_events.InvoiceEvent.FromString(payload)
    if event.type not in ("invoice.issued", "invoice.paid", "invoice.payment_failed"):
        return None
    number = event.number or event.invoice_id
    subject, lines = {
        "invoice.issued": (
            f"Invoice {number}: {money(event.total)}",
            (
                f"Invoice {number} was issued; {money(event.amount_due)} is due.",
                "The invoice is attached as a PDF.",
            ),
        ),
        "invoice.paid": (f"Invoice {number} is paid", (f"Thank you: {number} is paid.",)),
        "invoice.payment_failed": (
            f"Payment of invoice {number} failed",
            (
                f"We could not collect {money(event.amount_due)} for invoice {number}"
                + (f": {event.payment_failure_reason}." if event.payment_failure_reason else "."),
                "Check your payment method, or pay the invoice in the billing section.",
            ),
        ),
    }[event.type]
    return Notice(
        event.event_id,
        event.account_id,
        event.type,
        _data(event),
        _ms(event),
        subject,
        lines,
        invoice_id=event.invoice_id if event.type == INVOICE_ISSUED else "",
    )


def _cancelled(payload: bytes) -> Notice:
    event = invoicing_events.SubscriptionCancelled.FromString(payload)
    return Notice(
        event.event_id,
        event.account_id,
        "subscription.cancelled",
        _data(event),
        _ms(event),
        "Your subscription was cancelled",
        (f"Subscription {event.subscription_id} ends on {event.end_date}.",),
    )


def _top_up(payload: bytes) -> Notice | None:
    event = invoicing_events.TopUpEvent.FromString(payload)
    if event.type == "top_up.succeeded":
        subject = f"{money(event.amount)} was added to your balance"
        lines: tuple[str, ...] = (f"Funding {event.funding_id} is credited.",)
    elif event.type == "top_up.failed":
        subject = f"Adding {money(event.amount)} failed"
        lines = (f"The payment was declined: {event.failure_reason or 'declined'}.",)
    else:
        return None
    return Notice(
        event.event_id, event.account_id, event.type, _data(event), _ms(event), subject, lines
    )


def _operations(payload: bytes) -> Notice:
    alert = operations_pb2.OperationsAlert.FromString(payload)
    return Notice(
        alert.alert_id,
        "",
        OPERATIONS_ALERT,
        _data(alert),
        _ms(alert),
        f"[{alert.service}] {alert.kind}: {alert.summary}"[:200],
        tuple(
            line
            for line in (
                alert.summary,
                f"stream {alert.stream}, group {alert.group}, entry {alert.entry_id}"
                if alert.stream
                else "",
                f"last error: {alert.error}" if alert.error else "",
            )
            if line
        ),
    )


SIGN_IN_LOCKED = "sign_in.locked"


def _sign_in_locked(payload: bytes) -> Notice:
    """To the locked user alone (no account, no webhook): until when, and what to do."""
    lock = gateway_events.SignInLocked.FromString(payload)
    until = lock.locked_until.ToDatetime(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Notice(
        lock.event_id,
        "",
        SIGN_IN_LOCKED,
        {"user_id": lock.user_id, "failures": lock.failures, "locked_until": until},
        _ms(lock),
        f"Sign-in to your billing account is locked until {until}",
        (
            f"After {lock.failures} failed sign-ins in a row, signing in as {lock.email} is "
            f"locked until {until}.",
            "If this was you, wait until then and sign in with the right password.",
            "If it was not you, someone may be guessing your password: once you can sign in, "
            "change it, and tell your account's owner.",
        ),
        to_address=lock.email,
    )


_DECODERS = {
    wallet.BalanceAlert.DESCRIPTOR.full_name: _balance,
    notices_pb2.CampaignRefused.DESCRIPTOR.full_name: _campaign,
    notices_pb2.SendFlagged.DESCRIPTOR.full_name: _flagged,
    notices_pb2.CreditNotice.DESCRIPTOR.full_name: _credit,
    notices_pb2.DaysRunningOut.DESCRIPTOR.full_name: _days,
    invoicing_events.InvoiceEvent.DESCRIPTOR.full_name: _invoice,
    invoicing_events.SubscriptionCancelled.DESCRIPTOR.full_name: _cancelled,
    invoicing_events.TopUpEvent.DESCRIPTOR.full_name: _top_up,
    operations_pb2.OperationsAlert.DESCRIPTOR.full_name: _operations,
    gateway_events.SignInLocked.DESCRIPTOR.full_name: _sign_in_locked,
}


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
