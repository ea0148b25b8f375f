"""The SQL ledger: balanced transactions written once by entry id, and what is derived from them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact, Transaction

SETTLED = {ledger.COMMIT: "committed", ledger.RELEASE: "released", ledger.EXPIRE: "expired"}


def _insert(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> tuple[postgresql.Insert | sqlite.Insert, Any]:
    """An INSERT of `rows` and the parameters to execute it with.

    On PostgreSQL the rows travel as one JSON document (json_to_recordset): one statement, one
    round trip and one plan for a whole projected batch. Elsewhere the INSERT runs per row.
    """
    if connection.dialect.name != "postgresql":
        return sqlite.insert(table), rows
    names = list(rows[0])
    document = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSON)
    batch = (
        sa.func.json_to_recordset(document)
        .table_valued(*(sa.column(name, table.c[name].type) for name in names))
        .render_derived(name="batch", with_types=True)
    )
    statement = postgresql.insert(table).from_select(
        names, sa.select(*(batch.c[name] for name in names))
    )
    return statement, {"rows": json.dumps(rows, separators=(",", ":"))}


def write_transactions(connection: Connection, transactions: Iterable[Transaction]) -> int:
    """Insert every leg once (a replayed transaction changes nothing); returns legs written."""
    rows = []
    for transaction in transactions:
        for entry_id, leg in zip(transaction.entry_ids(), transaction.legs, strict=True):
            rows.append(
                {
                    "entry_id": entry_id,
                    "transaction_id": transaction.transaction_id,
                    "account_id": transaction.account_id,
                    "ledger_account": leg.ledger_account,
                    "debit_micros": leg.debit_micros,
                    "credit_micros": leg.credit_micros,
                    "currency_code": transaction.currency,
                    "kind": transaction.kind,
                    "reference": transaction.reference,
                    "created_ms": transaction.at_ms,
                }
            )
    if not rows:
        return 0
    insert, parameters = _insert(connection, tables.ledger_entries, rows)
    statement = insert.on_conflict_do_nothing(index_elements=["entry_id"])
    result = connection.execute(statement, parameters)
    return max(result.rowcount, 0)


def record_reservations(connection: Connection, facts: Sequence[tuple[Fact, str, int]]) -> None:
    """Keep the reservations table in step: (fact, message_id, expire_ms) per hold or settlement.

    A settled state is never turned back into 'held', whatever order facts arrive in. Holds are
    written before settlements, each kind in one statement; a reservation settles once.
    """
    holds: list[dict[str, Any]] = []
    settled: dict[str, dict[str, Any]] = {}
    for fact, message_id, expire_ms in facts:
        if fact.kind != ledger.HOLD and fact.reference in settled:
            continue
        row = {
            "reservation_id": fact.reference,
            "account_id": fact.account_id,
            "channel_id": fact.channel_id,
            "message_id": message_id,
            "currency_code": fact.currency,
            "amount_micros": fact.amount_micros,
            "committed_micros": fact.actual_micros if fact.kind == ledger.COMMIT else 0,
            "credit_micros": fact.credit_micros,
            "state": SETTLED.get(fact.kind, "held"),
            "expire_ms": expire_ms,
        }
        if fact.kind == ledger.HOLD:
            holds.append(row)
        else:
            settled[fact.reference] = row
    if holds:
        insert, parameters = _insert(connection, tables.reservations, holds)
        statement = insert.on_conflict_do_nothing(index_elements=["reservation_id"])
        connection.execute(statement, parameters)
    if settled:
        insert, parameters = _insert(connection, tables.reservations, list(settled.values()))
        statement = insert.on_conflict_do_update(
            index_elements=["reservation_id"],
            set_={
                "state": insert.excluded.state,
                "committed_micros": insert.excluded.committed_micros,
            },
            where=tables.reservations.c.state == "held",
        )
        connection.execute(statement, parameters)


@dataclass(frozen=True, slots=True)
class AccountBalance:
    ledger_account: str
    currency: str
    balance_micros: int  # credits minus debits


def balances_of(connection: Connection, account_id: str) -> list[AccountBalance]:
    """Every customer ledger account of one wallet account, credit-normal."""
    entries = tables.ledger_entries.c
    query = (
        sa.select(
            entries.ledger_account,
            entries.currency_code,
            sa.func.sum(entries.credit_micros - entries.debit_micros),
        )
        .where(entries.account_id == account_id)
        .where(entries.ledger_account.like(f"customer:{account_id}:%"))
        .group_by(entries.ledger_account, entries.currency_code)
    )
    return [AccountBalance(row[0], row[1], int(row[2] or 0)) for row in connection.execute(query)]


def account_balance(connection: Connection, ledger_account: str) -> int:
    """One ledger account's balance, credit-normal."""
    entries = tables.ledger_entries.c
    total = connection.execute(
        sa.select(sa.func.sum(entries.credit_micros - entries.debit_micros)).where(
            entries.ledger_account == ledger_account
        )
    ).scalar()
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class InvariantReport:
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_invariants(engine: Engine, floors: dict[str, int]) -> InvariantReport:
    """Debits equal credits per currency and per transaction; no money account below its floor.

    floors: account_id -> the lowest balance sends may reach (0, -overdraft, -credit limit),
    less what was taken whatever the balance: charges posted without a live reservation and
    top-up reversals (a debt).
    """
    entries = tables.ledger_entries.c
    problems: list[str] = []
    with engine.connect() as connection:
        per_currency = connection.execute(
            sa.select(
                entries.currency_code,
                sa.func.sum(entries.debit_micros),
                sa.func.sum(entries.credit_micros),
            ).group_by(entries.currency_code)
        )
        for currency, debits, credits in per_currency:
            if int(debits or 0) != int(credits or 0):
                problems.append(f"{currency}: debits {debits} != credits {credits}")
        unbalanced = connection.execute(
            sa.select(entries.transaction_id)
            .group_by(entries.transaction_id)
            .having(sa.func.sum(entries.debit_micros) != sa.func.sum(entries.credit_micros))
            .limit(20)
        )
        problems += [f"transaction {row[0]} is unbalanced" for row in unbalanced]
        # Delivered messages and refunds are paid even when the money was spent: a debt.
        reversed_by_account = dict(
            connection.execute(
                sa.select(
                    entries.ledger_account,
                    sa.func.sum(entries.debit_micros - entries.credit_micros),
                )
                .where(entries.kind.in_(("top_up_reversal", "charge")))
                .group_by(entries.ledger_account)
            ).all()
        )
        for account_id, floor in floors.items():
            for balance in balances_of(connection, account_id):
                is_money = ":money:" in balance.ledger_account
                debt = max(int(reversed_by_account.get(balance.ledger_account) or 0), 0)
                lowest = floor - debt if is_money else 0
                if balance.balance_micros < lowest:
                    problems.append(
                        f"{balance.ledger_account}: {balance.balance_micros} below {lowest}"
                    )
    return InvariantReport(problems)
