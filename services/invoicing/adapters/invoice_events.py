"""Invoicing's events (billing.invoicing.events), written to the outbox in the caller's
transaction: invoice.issued, invoice.paid, invoice.payment_failed and subscription.cancelled
(added funds' top_up events: funding_events.py). Event ids derive from what happened, so a
change written twice announces one event."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import events_pb2
from sqlalchemy.engine import Connection

from services.common import event_streams, outbox
from services.common.clock import EPOCH, MILLISECOND
from services.invoicing.adapters import tables
from services.invoicing.domain import invoices

STREAM = event_streams.INVOICING_EVENTS.name
EVENT_IDS = uuid.UUID("4c7e2a90-1d5b-4f63-8a0e-9b2c6d4e1f37")
INVOICE_ISSUED, INVOICE_PAID, PAYMENT_FAILED = (
    "invoice.issued",
    "invoice.paid",
    "invoice.payment_failed",
)


def event_id(*parts: object) -> str:
    """The id of the event made of `parts` (the same parts, the same id)."""
    return uuid.uuid5(EVENT_IDS, ":".join(str(part) for part in parts)).hex


def money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def invoice(
    connection: Connection, invoice_id: str, event_type: str, occur_ms: int, occurrence: str = ""
) -> None:
    """Announce an invoice's change, occurring at occur_ms (the use case's clock); occurrence
    tells repeated events apart (a second failed payment of the same invoice is a new event)."""
    row = connection.execute(
        sa.select(tables.invoices).where(tables.invoices.c.invoice_id == invoice_id)
    ).first()
    if row is None:
        return
    values = row._mapping
    currency = values["currency_code"]
    due = invoices.amount_due(
        values["total_micros"],
        values["credits_applied_micros"],
        values["credited_micros"],
        values["paid_micros"],
    )
    event = events_pb2.InvoiceEvent(
        event_id=event_id(event_type, invoice_id, occurrence),
        type=event_type,
        account_id=values["account_id"],
        invoice_id=invoice_id,
        number=values["number"] or "",
        kind=values["kind"],
        total=money(currency, values["total_micros"]),
        amount_due=money(currency, max(due, 0) if event_type != INVOICE_PAID else 0),
        payment_failure_reason=values["payment_failure_reason"] or "",
    )
    if values["due_time"] is not None:
        event.due_time.FromDatetime(_utc(values["due_time"]))
    event.occur_time.FromMilliseconds(occur_ms)
    outbox.add(connection, tables.outbox, [outbox.event(STREAM, event.event_id, event)])


def subscription_cancelled(
    connection: Connection,
    row: Mapping[str, Any],
    end: dt.date,
    immediately: bool,
    cancel_time: dt.datetime,
) -> None:
    """Announced as occurring when the use case's clock says it was cancelled."""
    event = events_pb2.SubscriptionCancelled(
        event_id=event_id("subscription.cancelled", row["subscription_id"]),
        account_id=row["account_id"],
        subscription_id=row["subscription_id"],
        plan_id=row["plan_id"],
        end_date=end.isoformat(),
        immediately=immediately,
    )
    event.occur_time.FromMilliseconds((_utc(cancel_time) - EPOCH) // MILLISECOND)
    outbox.add(connection, tables.outbox, [outbox.event(STREAM, event.event_id, event)])


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
