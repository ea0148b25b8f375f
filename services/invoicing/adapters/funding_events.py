"""Added funds' outcomes on billing.invoicing.events (top_up.succeeded, top_up.failed),
written to the outbox in the caller's transaction. Event ids derive from what happened, so a
move written twice announces one event."""

from __future__ import annotations

import sqlalchemy as sa
from billing.invoicing.v1 import events_pb2
from sqlalchemy.engine import Connection

from services.common import event_streams, outbox
from services.invoicing.adapters import invoice_events, tables

STREAM = event_streams.INVOICING_EVENTS.name


class SqlFundingEvents:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def announce(self, funding_id: str, event_type: str, occur_ms: int) -> None:
        row = self._connection.execute(
            sa.select(tables.fundings).where(tables.fundings.c.funding_id == funding_id)
        ).first()
        if row is None:
            return
        values = row._mapping
        currency = values["currency_code"]
        event = events_pb2.TopUpEvent(
            event_id=invoice_events.event_id(event_type, funding_id),
            type=event_type,
            account_id=values["account_id"],
            channel_id=values["channel_id"] or "",
            funding_id=funding_id,
            amount=invoice_events.money(currency, values["amount_micros"]),
            fee=invoice_events.money(currency, values["fee_micros"]),
            source=values["source"] or "",
            failure_reason=values["failure_reason"] or "",
        )
        event.occur_time.FromMilliseconds(occur_ms)
        outbox.add(self._connection, tables.outbox, [outbox.event(STREAM, event.event_id, event)])
