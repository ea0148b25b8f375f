"""Invoices as their payments read and change them, and the provider's events acted on, in
SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.clock import Clock
from services.invoicing.adapters import invoice_records, invoice_store, tables
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.ports.payments import AlreadyKept

Row = Mapping[Any, Any]


class SqlPayableInvoices:
    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def get(self, account_id: str, invoice_id: str) -> Row | None:
        return invoice_store.get(self._connection, account_id, invoice_id)

    def shown(self, account_id: str, invoice_id: str) -> Invoice | None:
        return invoice_records.SqlInvoiceRecords(self._connection, self._clock).get(
            account_id, invoice_id
        )

    def update(self, invoice_id: str, values: Mapping[str, Any], **where: Any) -> bool:
        now_ms = self._clock.now_ms()
        return invoice_store.update(self._connection, now_ms, invoice_id, dict(values), **where)

    def awaiting_days(self, limit: int) -> list[Row]:
        return invoice_store.awaiting_days(self._connection, limit)


class SqlProviderEvents:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def seen(self, event_id: str) -> bool:
        table = tables.provider_events
        found = self._connection.execute(
            sa.select(table.c.event_id).where(table.c.event_id == event_id)
        ).first()
        return found is not None

    def add(self, event_id: str, provider: str, kind: str, created_at: dt.datetime) -> None:
        values = {"event_id": event_id, "provider": provider, "kind": kind}
        try:
            self._connection.execute(
                tables.provider_events.insert().values(**values, created_at=created_at)
            )
        except IntegrityError:
            raise AlreadyKept(event_id) from None
