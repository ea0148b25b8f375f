"""Drafts, gap-free numbers and finalisation in SQL (adapters/invoice_store.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.clock import Clock
from services.invoicing.adapters import invoice_store
from services.invoicing.domain.invoices import Line
from services.invoicing.service.ports.billing import DuplicateDraft, Finalisation, NewInvoice


class SqlInvoiceBook:
    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def ensure_sequence(self, issuer_id: str, series: str, year: int) -> None:
        invoice_store.ensure_sequence(self._connection, issuer_id, series, year)

    def take_next_number(self, issuer_id: str, series: str, year: int) -> int:
        return invoice_store.take_next_number(self._connection, issuer_id, series, year)

    def insert(self, invoice: NewInvoice, lines: Sequence[Line]) -> None:
        values = {
            "invoice_id": invoice.invoice_id,
            "account_id": invoice.account_id,
            "kind": invoice.kind,
            "status": invoice.status,
            "source_reference": invoice.source_reference,
            "subscription_id": invoice.subscription_id,
            "currency_code": invoice.currency_code,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "issuer_id": invoice.issuer_id,
            "series": invoice.series,
            "subtotal_micros": invoice.subtotal_micros,
            "tax_rate_basis_points": invoice.tax_rate_basis_points,
            "tax_micros": invoice.tax_micros,
            "total_micros": invoice.total_micros,
            "credits_applied_micros": 0,
            "credited_micros": 0,
            "paid_micros": 0,
            "corrects_invoice_id": invoice.corrects_invoice_id,
            "reason": invoice.reason,
            "days": invoice.days,
            "payment_failure_reason": "",
            "issuer": invoice.issuer,
            "bill_to": invoice.bill_to,
            "tax_note": invoice.tax_note,
        }
        try:
            invoice_store.insert_invoice(self._connection, values, list(lines))
        except IntegrityError as error:
            raise DuplicateDraft(invoice.source_reference or invoice.invoice_id) from error

    def finalise(self, invoice_id: str, numbered: Finalisation) -> None:
        values: dict[str, Any] = {
            "number": numbered.number,
            "number_year": numbered.number_year,
            "number_sequence": numbered.number_sequence,
            "issue_time": numbered.issue_time,
            "credits_applied_micros": numbered.credits_applied_micros,
        }
        if numbered.due_time is not None:
            values["due_time"] = numbered.due_time
        values["status"] = numbered.status
        if numbered.paid_micros is not None:
            values["paid_micros"] = numbered.paid_micros
        if numbered.paid_time is not None:
            values["paid_time"] = numbered.paid_time
        invoice_store.finalise(self._connection, invoice_id, values, self._clock.now_ms())
