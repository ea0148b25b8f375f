"""SQL for invoices: drafts, gap-free numbers, finalisation, reads scoped to one account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.invoicing.adapters import invoice_events, tables
from services.invoicing.domain.invoice_filter import AMOUNT_DUE, OLDEST_FIRST, InvoiceFilter
from services.invoicing.domain.invoices import Line, Status
from services.invoicing.service.ports.billing import AlreadyFinalised

Row = Mapping[Any, Any]
IDS_PER_QUERY = 500
# A payment failing again for the same reason within one bucket is the same occurrence.
FAILURE_BUCKET_MS = 60_000


def insert_invoice(connection: Connection, values: dict[str, Any], lines: Sequence[Line]) -> None:
    connection.execute(tables.invoices.insert().values(**values))
    if lines:
        connection.execute(
            tables.invoice_lines.insert(),
            [
                {
                    "invoice_id": values["invoice_id"],
                    "position": position,
                    "description": line.description[:300],
                    "kind": line.kind,
                    "quantity_milli": line.quantity_milli,
                    "unit_price_micros": line.unit_price_micros,
                    "amount_micros": line.amount_micros,
                    "taxable": line.taxable,
                }
                for position, line in enumerate(lines, start=1)
            ],
        )


def ensure_sequence(connection: Connection, issuer_id: str, series: str, year: int) -> None:
    """Create the counter row of a series once (a concurrent creator wins harmlessly)."""
    table = tables.number_sequences
    exists = connection.execute(
        sa.select(table.c.last_number).where(
            table.c.issuer_id == issuer_id, table.c.series == series, table.c.year == year
        )
    ).first()
    if exists is not None:
        return
    try:
        with connection.begin_nested():
            connection.execute(
                table.insert().values(issuer_id=issuer_id, series=series, year=year, last_number=0)
            )
    except IntegrityError:
        pass


def take_next_number(connection: Connection, issuer_id: str, series: str, year: int) -> int:
    """Lock the series' counter row and take its next number, in the caller's transaction.

    The UPDATE takes the row lock on PostgreSQL (like SELECT ... FOR UPDATE) and the single
    write lock on SQLite, so concurrent finalisations queue here and a rollback returns the
    number: numbers are gap-free.
    """
    table = tables.number_sequences
    number = connection.execute(
        table.update()
        .where(table.c.issuer_id == issuer_id, table.c.series == series, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar_one_or_none()
    if number is None:
        raise RuntimeError(f"no number sequence for {issuer_id}/{series}/{year}")
    return int(number)


def finalise(connection: Connection, invoice_id: str, values: dict[str, Any], now_ms: int) -> None:
    """Move a draft to a finalised status with its number; AlreadyFinalised if it is not a draft.
    Its events occur at now_ms."""
    table = tables.invoices
    result = connection.execute(
        table.update()
        .where(table.c.invoice_id == invoice_id, table.c.status == Status.DRAFT)
        .values(**values)
    )
    if result.rowcount != 1:
        raise AlreadyFinalised(invoice_id)
    if values.get("status") != Status.DRAFT:
        invoice_events.invoice(connection, invoice_id, invoice_events.INVOICE_ISSUED, now_ms)
        if values.get("status") == Status.PAID and "paid_micros" not in values:
            invoice_events.invoice(connection, invoice_id, invoice_events.INVOICE_PAID, now_ms)


def get(connection: Connection, account_id: str, invoice_id: str) -> Row | None:
    table = tables.invoices
    row = connection.execute(
        sa.select(table).where(table.c.invoice_id == invoice_id, table.c.account_id == account_id)
    ).first()
    return None if row is None else row._mapping


def by_source(connection: Connection, account_id: str, kind: str, source: str) -> Row | None:
    found = all_by_source(connection, account_id, source, (kind,))
    return found[0] if found else None


def all_by_source(
    connection: Connection, account_id: str, source: str, kinds: Sequence[str]
) -> list[Row]:
    table = tables.invoices
    query = (
        sa.select(table)
        .where(
            table.c.account_id == account_id,
            table.c.kind.in_(list(kinds)),
            table.c.source_reference == source,
        )
        .order_by(table.c.kind.desc())
    )
    return [row._mapping for row in connection.execute(query).all()]


def lines_of(connection: Connection, invoice_ids: Sequence[str]) -> dict[str, list[Row]]:
    table = tables.invoice_lines
    found: dict[str, list[Row]] = {invoice_id: [] for invoice_id in invoice_ids}
    if not invoice_ids:
        return found
    rows = connection.execute(
        sa.select(table)
        .where(table.c.invoice_id.in_(list(invoice_ids)))
        .order_by(table.c.invoice_id, table.c.position)
    ).all()
    for row in rows:
        found[row.invoice_id].append(row._mapping)
    return found


def list_for_account(
    connection: Connection, account_id: str, wanted: InvoiceFilter, limit: int, offset: int
) -> list[Row]:
    table = tables.invoices
    query = sa.select(table).where(table.c.account_id == account_id)
    if wanted.kind:
        query = query.where(table.c.kind == wanted.kind)
    if wanted.status:
        query = query.where(table.c.status == wanted.status)
    if wanted.issued_from is not None:
        query = query.where(table.c.issue_time >= wanted.issued_from)
    if wanted.issued_before is not None:
        query = query.where(table.c.issue_time < wanted.issued_before)
    newest = (table.c.created_at.desc(), table.c.invoice_id.desc())
    if wanted.order == OLDEST_FIRST:
        query = query.order_by(table.c.created_at, table.c.invoice_id)
    elif wanted.order == AMOUNT_DUE:
        due = table.c.total_micros - table.c.paid_micros - table.c.credited_micros
        open_first = sa.case((table.c.status == Status.OPEN, 0), else_=1)
        query = query.order_by(open_first, due.desc(), *newest)
    else:
        query = query.order_by(*newest)
    return [row._mapping for row in connection.execute(query.limit(limit).offset(offset)).all()]


def update(
    connection: Connection, now_ms: int, invoice_id: str, values: dict[str, Any], **where: Any
) -> bool:
    """Conditional update: True when the invoice matched `where` and was changed. Its events
    occur at now_ms."""
    table = tables.invoices
    query = table.update().where(table.c.invoice_id == invoice_id)
    for column, expected in where.items():
        column_ref = table.c[column]
        query = query.where(column_ref.is_(None) if expected is None else column_ref == expected)
    changed = connection.execute(query.values(**values)).rowcount == 1
    if changed and values.get("status") == Status.PAID:
        invoice_events.invoice(connection, invoice_id, invoice_events.INVOICE_PAID, now_ms)
    elif changed and values.get("payment_failure_reason"):
        occurrence = f"{values['payment_failure_reason']}:{now_ms // FAILURE_BUCKET_MS}"
        failed = invoice_events.PAYMENT_FAILED
        invoice_events.invoice(connection, invoice_id, failed, now_ms, occurrence)
    return changed


def awaiting_days(connection: Connection, limit: int) -> list[Row]:
    """Paid partner invoices whose days (or days taken back, paid again) have not reached the
    wallet yet."""
    table = tables.invoices
    query = (
        sa.select(table)
        .where(
            table.c.status == Status.PAID,
            table.c.days > 0,
            sa.or_(table.c.days_credited_time.is_(None), table.c.days_taken_back > 0),
        )
        .order_by(table.c.paid_time)
        .limit(limit)
    )
    return [row._mapping for row in connection.execute(query).all()]


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back naive; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def get_any(connection: Connection, invoice_ids: Sequence[str]) -> list[Row]:
    """Invoices by id for internal use (runs over all accounts); never for a caller's request."""
    table = tables.invoices
    found: dict[str, Row] = {}
    for start in range(0, len(invoice_ids), IDS_PER_QUERY):
        chunk = list(invoice_ids[start : start + IDS_PER_QUERY])
        for row in connection.execute(sa.select(table).where(table.c.invoice_id.in_(chunk))):
            found[row.invoice_id] = row._mapping
    return [found[invoice_id] for invoice_id in invoice_ids if invoice_id in found]
