"""Invoices read from SQL, one account's own only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from services.common.clock import Clock
from services.invoicing.adapters import invoice_store
from services.invoicing.adapters.invoice_store import as_utc
from services.invoicing.domain import invoices
from services.invoicing.domain.invoice_filter import InvoiceFilter
from services.invoicing.domain.invoices import Status
from services.invoicing.domain.issuers import Party
from services.invoicing.service.commands.invoices import Invoice, InvoiceLine

Row = Mapping[Any, Any]


class SqlInvoiceRecords:
    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def get(self, account_id: str, invoice_id: str) -> Invoice | None:
        row = invoice_store.get(self._connection, account_id, invoice_id)
        if row is None:
            return None
        return invoice(row, invoice_store.lines_of(self._connection, [invoice_id])[invoice_id])

    def page(
        self, account_id: str, wanted: InvoiceFilter, limit: int, offset: int
    ) -> list[Invoice]:
        rows = invoice_store.list_for_account(self._connection, account_id, wanted, limit, offset)
        return self.with_lines(rows)

    def many(self, invoice_ids: Sequence[str]) -> list[Invoice]:
        return self.with_lines(invoice_store.get_any(self._connection, invoice_ids))

    def all_by_source(self, account_id: str, source: str, kinds: Sequence[str]) -> list[Invoice]:
        rows = invoice_store.all_by_source(self._connection, account_id, source, kinds)
        return [invoice(row, []) for row in rows]

    def owners(self, invoice_ids: Sequence[str]) -> dict[str, str]:
        rows = invoice_store.get_any(self._connection, invoice_ids)
        return {row["invoice_id"]: row["account_id"] for row in rows}

    def by_source(self, account_id: str, kind: str, source: str) -> Invoice | None:
        row = invoice_store.by_source(self._connection, account_id, kind, source)
        return None if row is None else invoice(row, [])

    def header(self, account_id: str, invoice_id: str) -> Invoice | None:
        row = invoice_store.get(self._connection, account_id, invoice_id)
        return None if row is None else invoice(row, [])

    def credit(
        self, invoice_id: str, credited_micros: int, was_micros: int, paid_time: dt.datetime | None
    ) -> bool:
        changes: dict[str, object] = {"credited_micros": credited_micros}
        if paid_time is not None:
            changes.update(status=Status.PAID, paid_time=paid_time)
        now_ms = self._clock.now_ms()
        return invoice_store.update(
            self._connection, now_ms, invoice_id, changes, credited_micros=was_micros
        )

    def with_lines(self, rows: Sequence[Row]) -> list[Invoice]:
        lines = invoice_store.lines_of(self._connection, [row["invoice_id"] for row in rows])
        return [invoice(row, lines[row["invoice_id"]]) for row in rows]


def invoice(row: Row, lines: Sequence[Row]) -> Invoice:
    return Invoice(
        invoice_id=row["invoice_id"],
        number=row["number"] or "",
        account_id=row["account_id"],
        kind=row["kind"],
        status=row["status"],
        currency_code=row["currency_code"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        lines=tuple(
            InvoiceLine(
                description=line["description"],
                quantity_milli=line["quantity_milli"],
                unit_price_micros=line["unit_price_micros"],
                amount_micros=line["amount_micros"],
                kind=line["kind"],
                taxable=line["taxable"],
            )
            for line in lines
        ),
        subtotal_micros=row["subtotal_micros"],
        tax_micros=row["tax_micros"],
        credits_applied_micros=row["credits_applied_micros"],
        total_micros=row["total_micros"],
        amount_due_micros=invoices.amount_due_of(row),
        issue_time=as_utc(row["issue_time"]),
        due_time=as_utc(row["due_time"]),
        paid_time=as_utc(row["paid_time"]),
        corrects_invoice_id=row["corrects_invoice_id"] or "",
        subscription_id=row["subscription_id"] or "",
        paid_micros=row["paid_micros"],
        credited_micros=row["credited_micros"],
        payment_failure_reason=row["payment_failure_reason"],
        days=row["days"],
        days_credited=row["days_credited_time"] is not None,
        issuer=Party.from_json(row["issuer"]),
        bill_to=Party.from_json(row["bill_to"]),
        tax_rate_basis_points=row["tax_rate_basis_points"],
        reason=row["reason"],
        source_reference=row["source_reference"] or "",
        tax_note=row["tax_note"],
    )
