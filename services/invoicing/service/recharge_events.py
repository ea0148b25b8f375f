"""The answers to the wallet's recharge requests, as events on billing.invoicing.events:
written to the outbox in the transaction that moves the recharge's funding, so that an
answer is published exactly when the state it tells of is committed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import recharges_pb2 as pb
from sqlalchemy.engine import Connection

from services.common import event_streams, outbox
from services.invoicing.adapters import tables

STREAM = event_streams.INVOICING_EVENTS.name
EVENT_IDS = uuid.UUID("0f3f6b1e-3d0a-4c55-9a3e-6e2f4f0d8a21")
# Funding states an answer is published for.
SUCCEEDED_STATES = frozenset({"credited", "completed"})
DECLINED_STATES = frozenset({"declined", "expired"})
ACTION_STATE = "requires_action"
Row = Mapping[Any, Any]


def after_move(connection: Connection, funding: Row, after: str, values: Mapping[str, Any]) -> None:
    """Publish what a recharge funding's move to `after` tells the wallet (nothing for the
    moves in between)."""
    moved = {**funding, **values, "state": after}
    if after == "credited":
        _add(connection, succeeded(connection, moved))
    elif after in DECLINED_STATES:
        _add(connection, declined(moved, final=False))
    elif after == ACTION_STATE:
        _add(connection, action_required(moved))


def current(connection: Connection, funding: Row) -> None:
    """Publish again the answer a recharge funding stands at (a request asked again)."""
    state = funding["state"]
    if state in SUCCEEDED_STATES:
        _add(connection, succeeded(connection, funding))
    elif state in DECLINED_STATES:
        _add(connection, declined(funding, final=_never_charged(connection, funding)))
    elif state == ACTION_STATE:
        _add(connection, action_required(funding))


def succeeded(connection: Connection, funding: Row) -> pb.RechargeSucceeded:
    payments = tables.payments
    reference = connection.execute(
        sa.select(payments.c.reference).where(payments.c.payment_id == funding["payment_id"])
    ).scalar()
    currency = funding["currency_code"]
    event = pb.RechargeSucceeded(
        event_id=_event_id(funding, "succeeded"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        top_up_id=funding["top_up_id"] or "",
        payment_reference=reference or "",
        amount=money_pb2.Money(currency_code=currency, amount_micros=funding["amount_micros"]),
        fee=money_pb2.Money(currency_code=currency, amount_micros=funding["fee_micros"]),
    )
    event.occur_time.GetCurrentTime()
    return event


def declined(funding: Row, final: bool) -> pb.RechargeDeclined:
    event = pb.RechargeDeclined(
        event_id=_event_id(funding, "declined"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        reason=funding["failure_reason"] or "declined",
        final=final,
    )
    event.occur_time.GetCurrentTime()
    return event


def action_required(funding: Row) -> pb.RechargeActionRequired:
    event = pb.RechargeActionRequired(
        event_id=_event_id(funding, "action_required"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        reason=funding["failure_reason"] or "",
    )
    event.occur_time.GetCurrentTime()
    return event


def _never_charged(connection: Connection, funding: Row) -> bool:
    """Declined before any charge was tried (no provider, no card, an inexact amount): no
    later attempt can do better as things stand."""
    payments = tables.payments
    found = connection.execute(
        sa.select(payments.c.payment_id).where(payments.c.payment_id == funding["payment_id"])
    ).first()
    return found is None


def _event_id(funding: Row, outcome: str) -> str:
    """The same answer to the same request always has the same id."""
    return uuid.uuid5(EVENT_IDS, f"{funding['funding_id']}:{outcome}").hex


Answer = pb.RechargeSucceeded | pb.RechargeDeclined | pb.RechargeActionRequired


def _add(connection: Connection, message: Answer) -> None:
    outbox.add(connection, tables.outbox, [outbox.event(STREAM, message.event_id, message)])
