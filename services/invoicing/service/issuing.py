"""Issuing on a caller's open SQL connection, for the use cases that still hold one (payments'
receipts and the billing runs); the rules are service/invoice_issuing.py's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from services.invoicing.adapters.billing_work import SqlBillingWork
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing, new_invoice_id

__all__ = ["Draft", "Issuing", "new_invoice_id"]


class Issuing:
    def __init__(self, issuing: InvoiceIssuing) -> None:
        self._issuing = issuing

    def ensure_series(self, kind: str, year: int) -> None:
        self._issuing.ensure_series(kind, year)

    def insert_draft(self, connection: Connection, draft: Draft) -> str:
        return self._issuing.insert_draft(SqlBillingWork.bound(connection), draft)

    def finalise(
        self,
        connection: Connection,
        invoice_id: str,
        kind: str,
        now: dt.datetime,
        *,
        total_micros: int,
        credits_applied_micros: int = 0,
    ) -> None:
        """Number the draft and issue it; AlreadyFinalised when another run did first."""
        self._issuing.finalise(
            SqlBillingWork.bound(connection),
            invoice_id,
            kind,
            now,
            total_micros=total_micros,
            credits_applied_micros=credits_applied_micros,
        )
