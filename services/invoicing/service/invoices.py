"""Invoices as the contract's messages, read on the caller's connection (payments and
receipts answer with them; billing reads through service/invoice_reading.py)."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from sqlalchemy.engine import Connection

from services.common.errors import NotFound
from services.invoicing.adapters import invoice_store
from services.invoicing.service import messages


def load(connection: Connection, account_id: str, invoice_id: str) -> invoice_pb2.Invoice:
    row = invoice_store.get(connection, account_id, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
    lines = invoice_store.lines_of(connection, [invoice_id])[invoice_id]
    return messages.invoice(row, lines)


def load_many(connection: Connection, rows: list[invoice_store.Row]) -> list[invoice_pb2.Invoice]:
    lines = invoice_store.lines_of(connection, [row["invoice_id"] for row in rows])
    return [messages.invoice(row, lines[row["invoice_id"]]) for row in rows]
