"""Credit placement on SQL: reads the books and written holds, marks grants, and reads back
the legs the hot balance is told of; the rules are `service.credit_placement`'s."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.domain.credit_book import CreditBook, Grant, Parts
from services.wallet.domain.ledger import Fact, Transaction
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import credit_placement
from services.wallet.service.credit_placement import MESSAGES, GrantMark, Leg, transaction_id
from services.wallet.service.ports.money import HotCredits


def place(connection: Connection, facts: Sequence[Fact]) -> list[Transaction | None]:
    """The transaction of each fact (None for a grant reaching Redis, which posts nothing).

    The caller's unit of work has taken the write locks of `locked_accounts(facts)` first."""
    moving = [fact for fact in facts if credit_placement.moves_credit(fact)]
    if not moving:
        return [ledger.post(fact) for fact in facts]
    accounts = credit_placement.locked_accounts(facts)
    written = _written(connection, [transaction_id(fact) for fact in moving])
    applying = [f.reference for f in moving if f.kind == ledger.CREDIT_APPLY]
    arriving, books = _books(connection, accounts, applying)
    held = _held_parts(connection, credit_placement.holds_read_back(moving, written))
    posted: list[Transaction | None] = []
    for fact in facts:
        if not credit_placement.moves_credit(fact):
            posted.append(ledger.post(fact))
            continue
        book = books[(fact.account_id, fact.currency)]
        done = transaction_id(fact) in written
        transaction, mark = credit_placement.decide(fact, book, arriving, held, done)
        if mark is not None:
            _mark(connection, mark)
        posted.append(transaction)
    return posted


def tell_hot(
    connection: Connection, hot: HotCredits, partitioner: Partitioner, facts: list[Fact]
) -> int:
    """After the commit: tell the hot balance what the written legs gave back or wrote off."""
    wanted = credit_placement.told_hot(facts)
    if not wanted:
        return 0
    legs = _legs(connection, [transaction_id(fact) for fact in wanted])
    return credit_placement.tell_hot(hot, partitioner, wanted, legs)


def _grant(row: RowMapping, left: int) -> Grant:
    return Grant(row["credit_id"], row["priority"], row["expire_ms"], row["created_ms"], left)


def _mark(connection: Connection, mark: GrantMark) -> None:
    credits = tables.credits.c
    connection.execute(
        tables.credits.update()
        .where(credits.credit_id == mark.credit_id, credits[mark.column].is_(None))
        .values({mark.column: mark.at_ms})
    )


def _written(connection: Connection, transaction_ids: list[str]) -> set[str]:
    entries = tables.ledger_entries.c
    found = connection.execute(
        sa.select(entries.transaction_id)
        .where(entries.transaction_id.in_(transaction_ids))
        .distinct()
    )
    return {row[0] for row in found}


def _books(
    connection: Connection, accounts: list[str], applying: list[str]
) -> tuple[dict[str, Grant], dict[tuple[str, str], CreditBook]]:
    """The grants reaching Redis in this batch, and the books of the live ones."""
    credits = tables.credits.c
    found = (
        connection.execute(
            sa.select(tables.credits).where(
                credits.account_id.in_(accounts),
                credits.written_off_ms.is_(None),
                credits.applied_ms.is_not(None) | credits.credit_id.in_(applying),
                credits.applies_to.contains(MESSAGES),
            )
        )
        .mappings()
        .all()
    )
    rows = [row for row in found if MESSAGES in row["applies_to"].split(",")]
    left = _remaining(connection, rows)
    books: dict[tuple[str, str], CreditBook] = defaultdict(CreditBook)
    arriving: dict[str, Grant] = {}
    for row in rows:
        grant = _grant(row, left.get(row["credit_id"], 0))
        if row["applied_ms"] is None:
            arriving[row["credit_id"]] = grant
        else:
            books[(row["account_id"], row["currency_code"])].add(grant)
    return arriving, books


def _remaining(connection: Connection, rows: Iterable[RowMapping]) -> dict[str, int]:
    by_account = {
        ledger.credit_account(row["account_id"], row["currency_code"], row["credit_id"]): row[
            "credit_id"
        ]
        for row in rows
    }
    if not by_account:
        return {}
    entries = tables.ledger_entries.c
    sums = connection.execute(
        sa.select(entries.ledger_account, sa.func.sum(entries.credit_micros - entries.debit_micros))
        .where(entries.ledger_account.in_(list(by_account)))
        .group_by(entries.ledger_account)
    )
    return {by_account[name]: int(total or 0) for name, total in sums}


def _held_parts(connection: Connection, facts: list[Fact]) -> dict[str, Parts]:
    """The grants each written hold drew on (by reservation), in the order it took them."""
    if not facts:
        return {}
    ids = {
        ledger.transaction_id(ledger.HOLD, fact.account_id, fact.reference): fact for fact in facts
    }
    entries = tables.ledger_entries.c
    rows = connection.execute(
        sa.select(entries.transaction_id, entries.entry_id, entries.ledger_account)
        .add_columns(entries.debit_micros)
        .where(entries.transaction_id.in_(list(ids)), entries.debit_micros > 0)
    ).all()
    taken: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for transaction, entry_id, account, debit in rows:
        fact = ids[transaction]
        prefix = credit_placement.grant_prefix(fact)
        if account.startswith(prefix):
            index = int(entry_id.rsplit(":", 1)[1])
            taken[fact.reference].append((index, account[len(prefix) :], int(debit)))
    return {
        reference: tuple((credit_id, micros) for _i, credit_id, micros in sorted(parts))
        for reference, parts in taken.items()
    }


def _legs(connection: Connection, transaction_ids: list[str]) -> dict[str, list[Leg]]:
    entries = tables.ledger_entries.c
    rows = connection.execute(
        sa.select(
            entries.transaction_id,
            entries.ledger_account,
            entries.debit_micros,
            entries.credit_micros,
        ).where(entries.transaction_id.in_(transaction_ids))
    )
    found: dict[str, list[Leg]] = defaultdict(list)
    for transaction, account, debit, credit in rows:
        found[transaction].append((account, int(debit), int(credit)))
    return found
