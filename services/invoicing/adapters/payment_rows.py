"""Cards on file, card payments, the provider's customers, fund quotes and fundings in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.invoicing.adapters import tables
from services.invoicing.service.commands.payments import FundsQuote
from services.invoicing.service.ports.payments import (
    ActiveSubscription,
    AlreadyKept,
    CardRecord,
)

Row = Mapping[Any, Any]
CARD = "card"
ACTIVE = "active"  # a subscription being billed
PENDING, REQUIRES_ACTION = "pending", "requires_action"
# Payment rows' states a payment is still in progress in.
IN_PROGRESS = (PENDING, REQUIRES_ACTION)


class SqlCards:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def of_account(self, account_id: str) -> list[CardRecord]:
        return [_card(row) for row in card_rows(self._connection, account_id)]

    def find(self, account_id: str, payment_method_id: str) -> CardRecord | None:
        row = card(self._connection, account_id, payment_method_id)
        return None if row is None else _card(row)

    def default(self, account_id: str) -> CardRecord | None:
        row = default_card(self._connection, account_id)
        return None if row is None else _card(row)

    def add(self, card: CardRecord) -> None:
        table = tables.payment_methods
        if card.is_default:
            self._connection.execute(
                table.update().where(table.c.account_id == card.account_id).values(is_default=False)
            )
        values = {
            "account_id": card.account_id,
            "payment_method_id": card.payment_method_id,
            "kind": CARD,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "provider_token": card.provider_token,
            "is_default": card.is_default,
        }
        self._connection.execute(table.insert().values(**values))

    def exists(self, account_id: str, payment_method_id: str) -> bool:
        table = tables.payment_methods
        found = self._connection.execute(
            sa.select(table.c.payment_method_id).where(
                table.c.account_id == account_id, table.c.payment_method_id == payment_method_id
            )
        ).first()
        return found is not None

    def make_default(self, account_id: str, payment_method_id: str) -> None:
        table = tables.payment_methods
        self._connection.execute(
            table.update()
            .where(table.c.account_id == account_id)
            .values(is_default=table.c.payment_method_id == payment_method_id)
        )

    def remove(self, account_id: str, payment_method_id: str) -> bool:
        table = tables.payment_methods
        gone = self._connection.execute(
            table.delete().where(
                table.c.account_id == account_id, table.c.payment_method_id == payment_method_id
            )
        )
        return gone.rowcount == 1

    def token_elsewhere(self, card: CardRecord) -> bool:
        table = tables.payment_methods
        query = sa.select(table.c.payment_method_id).where(
            table.c.provider_token == card.provider_token,
            sa.not_(
                sa.and_(
                    table.c.account_id == card.account_id,
                    table.c.payment_method_id == card.payment_method_id,
                )
            ),
        )
        return self._connection.execute(query.limit(1)).first() is not None


class SqlCardPayments:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, payment_id: str) -> Row | None:
        return payment_row(self._connection, payment_id)

    def by_ref(self, provider_payment_id: str) -> Row | None:
        return payment_by_ref(self._connection, provider_payment_id)

    def add(self, payment: Mapping[str, Any]) -> None:
        add_payment(self._connection, payment)

    def update(self, payment_id: str, values: Mapping[str, Any]) -> None:
        table = tables.payments
        self._connection.execute(
            table.update().where(table.c.payment_id == payment_id).values(**values)
        )

    def update_in_progress(self, payment_id: str, values: Mapping[str, Any]) -> None:
        table = tables.payments
        self._connection.execute(
            table.update()
            .where(table.c.payment_id == payment_id, table.c.status.in_(IN_PROGRESS))
            .values(**values)
        )

    def stuck(self, cutoff: dt.datetime, purpose: str, limit: int) -> list[Row]:
        return stuck(self._connection, cutoff, purpose, limit)

    def unauthenticated(self, cutoff: dt.datetime, purpose: str, limit: int) -> list[Row]:
        return unauthenticated(self._connection, cutoff, purpose, limit)

    def reference(self, payment_id: str) -> str | None:
        table = tables.payments
        found = self._connection.execute(
            sa.select(table.c.reference).where(table.c.payment_id == payment_id)
        ).scalar()
        return None if found is None else str(found)

    def exists(self, payment_id: str) -> bool:
        table = tables.payments
        found = self._connection.execute(
            sa.select(table.c.payment_id).where(table.c.payment_id == payment_id)
        ).first()
        return found is not None

    def in_progress_with(self, account_id: str, payment_method_id: str) -> bool:
        table = tables.payments
        query = sa.select(table.c.payment_id).where(
            table.c.account_id == account_id,
            table.c.payment_method_id == payment_method_id,
            table.c.status.in_(IN_PROGRESS),
        )
        return self._connection.execute(query.limit(1)).first() is not None


class SqlCustomers:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, account_id: str, provider: str) -> str | None:
        table = tables.customers
        found = self._connection.execute(
            sa.select(table.c.customer_ref).where(
                table.c.account_id == account_id, table.c.provider == provider
            )
        ).scalar()
        return str(found) if found else None

    def add(
        self, account_id: str, provider: str, customer_ref: str, created_at: dt.datetime
    ) -> None:
        try:
            self._connection.execute(
                tables.customers.insert().values(
                    account_id=account_id,
                    provider=provider,
                    customer_ref=customer_ref,
                    created_at=created_at,
                )
            )
        except IntegrityError:
            raise AlreadyKept(f"customer of {account_id}") from None


class SqlQuotes:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, quote: FundsQuote, created_at: dt.datetime) -> None:
        values = {
            "quote_id": quote.quote_id,
            "account_id": quote.account_id,
            "channel_id": quote.channel_id,
            "display_phone_number": quote.display_phone_number,
            "currency_code": quote.currency_code,
            "amount_micros": quote.amount_micros,
            "fee_micros": quote.fee_micros,
            "expire_at": quote.expire_at,
            "created_at": created_at,
        }
        self._connection.execute(tables.fund_quotes.insert().values(**values))

    def find(self, account_id: str, quote_id: str) -> FundsQuote | None:
        quotes = tables.fund_quotes
        row = self._connection.execute(
            sa.select(quotes).where(
                quotes.c.quote_id == quote_id, quotes.c.account_id == account_id
            )
        ).first()
        if row is None:
            return None
        # SQLite hands timestamps back naive; they were written in UTC.
        expire_at = row.expire_at if row.expire_at.tzinfo else row.expire_at.replace(tzinfo=dt.UTC)
        return FundsQuote(
            quote_id=row.quote_id,
            account_id=row.account_id,
            channel_id=row.channel_id,
            display_phone_number=row.display_phone_number,
            currency_code=row.currency_code,
            amount_micros=row.amount_micros,
            fee_micros=row.fee_micros,
            expire_at=expire_at,
        )


class SqlFundings:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, account_id: str, funding_id: str) -> Row | None:
        table = tables.fundings
        row = self._connection.execute(
            sa.select(table).where(
                table.c.funding_id == funding_id, table.c.account_id == account_id
            )
        ).first()
        return None if row is None else row._mapping

    def add(self, funding: Mapping[str, Any]) -> None:
        try:
            self._connection.execute(tables.fundings.insert().values(**funding))
        except IntegrityError:
            raise AlreadyKept(f"funding {funding['funding_id']}") from None

    def move(
        self,
        funding_id: str,
        before: tuple[str, ...],
        after: str,
        values: Mapping[str, Any],
        moved_at: dt.datetime,
    ) -> bool:
        table = tables.fundings
        moved = self._connection.execute(
            table.update()
            .where(table.c.funding_id == funding_id, table.c.state.in_(before))
            .values(state=after, updated_at=moved_at, **values)
        ).rowcount
        return bool(moved)

    def by_payment(self, payment_id: str) -> Row | None:
        table = tables.fundings
        row = self._connection.execute(
            sa.select(table).where(table.c.payment_id == payment_id)
        ).first()
        return None if row is None else row._mapping

    def page(self, account_id: str, limit: int, offset: int) -> list[Row]:
        table = tables.fundings
        rows = self._connection.execute(
            sa.select(table)
            .where(table.c.account_id == account_id)
            .order_by(table.c.created_at.desc(), table.c.funding_id)
            .limit(limit)
            .offset(offset)
        ).all()
        return [row._mapping for row in rows]

    def in_states_before(
        self, states: tuple[str, ...], cutoff: dt.datetime, limit: int
    ) -> list[Row]:
        table = tables.fundings
        return self._before(table.c.state.in_(states), cutoff, limit)

    def in_state_before(self, state: str, cutoff: dt.datetime, limit: int) -> list[Row]:
        table = tables.fundings
        return self._before(table.c.state == state, cutoff, limit)

    def _before(self, in_state: Any, cutoff: dt.datetime, limit: int) -> list[Row]:
        table = tables.fundings
        rows = self._connection.execute(
            sa.select(table)
            .where(in_state, table.c.updated_at <= cutoff)
            .order_by(table.c.updated_at)
            .limit(limit)
        ).all()
        return [row._mapping for row in rows]


class SqlSubscriptions:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def earliest_active(self, account_id: str) -> ActiveSubscription | None:
        s, p = tables.subscriptions.c, tables.plans.c
        row = self._connection.execute(
            sa.select(s.start_date, p.period_months)
            .join(tables.plans, p.plan_id == s.plan_id)
            .where(s.account_id == account_id, s.status == ACTIVE)
            .order_by(s.start_date)
            .limit(1)
        ).first()
        return None if row is None else ActiveSubscription(row.start_date, row.period_months)


def card_rows(connection: Connection, account_id: str) -> list[Row]:
    table = tables.payment_methods
    query = (
        sa.select(table)
        .where(table.c.account_id == account_id)
        .order_by(table.c.created_at, table.c.payment_method_id)
    )
    return [row._mapping for row in connection.execute(query).all()]


def default_card(connection: Connection, account_id: str) -> Row | None:
    return next((row for row in card_rows(connection, account_id) if row["is_default"]), None)


def card(connection: Connection, account_id: str, method_id: str) -> Row | None:
    return next(
        (row for row in card_rows(connection, account_id) if row["payment_method_id"] == method_id),
        None,
    )


def _card(row: Row) -> CardRecord:
    return CardRecord(
        account_id=row["account_id"],
        payment_method_id=row["payment_method_id"],
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        provider_token=row["provider_token"],
        is_default=row["is_default"],
    )


def add_payment(connection: Connection, payment: Mapping[str, Any]) -> None:
    connection.execute(tables.payments.insert().values(**payment))


def payment_row(connection: Connection, payment_id: str) -> Row | None:
    table = tables.payments
    row = connection.execute(sa.select(table).where(table.c.payment_id == payment_id)).first()
    return None if row is None else row._mapping


def payment_by_ref(connection: Connection, provider_payment_id: str) -> Row | None:
    table = tables.payments
    row = connection.execute(
        sa.select(table).where(table.c.provider_payment_id == provider_payment_id)
    ).first()
    return None if row is None else row._mapping


def unauthenticated(
    connection: Connection, cutoff: dt.datetime, purpose: str, limit: int
) -> list[Row]:
    """Card payments waiting for the customer's authentication since before `cutoff`."""
    table = tables.payments
    query = (
        sa.select(table)
        .where(
            table.c.status == REQUIRES_ACTION,
            table.c.purpose == purpose,
            table.c.updated_at <= cutoff,
        )
        .order_by(table.c.updated_at)
        .limit(limit)
    )
    return [row._mapping for row in connection.execute(query).all()]


def stuck(connection: Connection, cutoff: dt.datetime, purpose: str, limit: int) -> list[Row]:
    """Payments still pending, last touched before `cutoff` (crashed or timed out)."""
    table = tables.payments
    query = (
        sa.select(table)
        .where(
            table.c.status == PENDING,
            table.c.purpose == purpose,
            table.c.method == "card",
            table.c.updated_at <= cutoff,
        )
        .order_by(table.c.updated_at)
        .limit(limit)
    )
    return [row._mapping for row in connection.execute(query).all()]
