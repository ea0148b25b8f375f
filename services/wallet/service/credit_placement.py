"""The projector's credit side: which grants each hold drew on, where a settlement's unused
credit goes, what an expiry writes off; afterwards the hot balance is told what was placed.

Decided in the order of the partition's ledger stream, under the accounts' write locks, on the
grants that reached the hot balance (their `credit_apply` entry came first). A fact already
written (a batch delivered again) is read back, never decided twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.domain.credit_book import (
    CreditBook,
    CreditParts,
    CreditShortfall,
    Grant,
    Parts,
    split_charge,
)
from services.wallet.domain.ledger import Fact, Transaction
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.ports.money import HotCredits

MESSAGES = "messages"
RESERVING = frozenset({ledger.HOLD}) | ledger.SETTLEMENTS


def moves_credit(fact: Fact) -> bool:
    if fact.kind in (ledger.CREDIT_APPLY, ledger.CREDIT_EXPIRE):
        return True
    return fact.credit_micros > 0 and fact.kind in RESERVING


def transaction_id(fact: Fact) -> str:
    return ledger.transaction_id(fact.kind, fact.account_id, fact.reference)


def locked_accounts(facts: Sequence[Fact]) -> list[str]:
    """The accounts whose write locks `place` needs, in the order they are taken."""
    return sorted({fact.account_id for fact in facts if moves_credit(fact)})


def place(connection: Connection, facts: Sequence[Fact]) -> list[Transaction | None]:
    """The transaction of each fact (None for a grant reaching Redis, which posts nothing).

    The caller's unit of work has taken the write locks of `locked_accounts(facts)` first."""
    moving = [fact for fact in facts if moves_credit(fact)]
    if not moving:
        return [ledger.post(fact) for fact in facts]
    accounts = locked_accounts(facts)
    written = _written(connection, [transaction_id(fact) for fact in moving])
    applying = [f.reference for f in moving if f.kind == ledger.CREDIT_APPLY]
    rows, books = _books(connection, accounts, applying)
    new_holds = {f.reference for f in moving if f.kind == ledger.HOLD}
    held = _held_parts(
        connection,
        [
            f
            for f in moving
            if (f.kind in ledger.SETTLEMENTS and f.reference not in new_holds)
            or (f.kind == ledger.HOLD and transaction_id(f) in written)
        ],
    )
    posted: list[Transaction | None] = []
    for fact in facts:
        if not moves_credit(fact):
            posted.append(ledger.post(fact))
            continue
        book = books[(fact.account_id, fact.currency)]
        done = transaction_id(fact) in written
        posted.append(_decide(connection, fact, book, rows, held, done))
    return posted


def _decide(
    connection: Connection,
    fact: Fact,
    book: CreditBook,
    rows: dict[str, Grant],
    held: dict[str, Parts],
    done: bool,
) -> Transaction | None:
    if fact.kind == ledger.CREDIT_APPLY:
        grant = rows.get(fact.reference)
        if grant is not None:
            book.add(grant)
            _mark(connection, fact.reference, "applied_ms", fact.at_ms)
        return None
    if fact.kind == ledger.CREDIT_EXPIRE:
        left = book.remove(fact.reference)
        _mark(connection, fact.reference, "written_off_ms", fact.at_ms)
        if done or not left:
            return None
        return ledger.expire_credit(
            fact.account_id, fact.currency, fact.reference, left, fact.at_ms
        )
    if fact.kind == ledger.HOLD:
        if done:
            return None
        taken = book.take(fact.credit_micros, fact.at_ms)
        held[fact.reference] = taken
        return ledger.post(fact, CreditParts(taken))
    if done:
        return None
    hold = held.get(fact.reference)
    if hold is None:
        raise CreditShortfall(f"the hold of {fact.reference} is not in the ledger yet")
    actual = fact.actual_micros if fact.kind == ledger.COMMIT else 0
    from_credit, _ = split_charge(fact.credit_micros, actual)
    back = book.give_back(hold, fact.credit_micros - from_credit)
    return ledger.post(fact, back)


def _grant(row: RowMapping, left: int) -> Grant:
    return Grant(row["credit_id"], row["priority"], row["expire_ms"], row["created_ms"], left)


def _mark(connection: Connection, credit_id: str, column: str, at_ms: int) -> None:
    credits = tables.credits.c
    connection.execute(
        tables.credits.update()
        .where(credits.credit_id == credit_id, credits[column].is_(None))
        .values({column: at_ms})
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
        prefix = f"customer:{fact.account_id}:credit:{fact.currency}:"
        if account.startswith(prefix):
            index = int(entry_id.rsplit(":", 1)[1])
            taken[fact.reference].append((index, account[len(prefix) :], int(debit)))
    return {
        reference: tuple((credit_id, micros) for _i, credit_id, micros in sorted(parts))
        for reference, parts in taken.items()
    }


def tell_hot(
    connection: Connection, hot: HotCredits, partitioner: Partitioner, facts: list[Fact]
) -> int:
    """After the commit: release what settlements gave back, remove what expiries wrote off.

    Amounts are read back from the ledger, so a batch delivered again tells the same."""
    wanted = [
        fact
        for fact in facts
        if fact.kind == ledger.CREDIT_EXPIRE
        or (fact.kind in ledger.SETTLEMENTS and fact.credit_micros > 0)
    ]
    if not wanted:
        return 0
    legs = _legs(connection, [transaction_id(fact) for fact in wanted])
    told = 0
    for fact in wanted:
        keys = partitioner.keys(fact.account_id)
        mine = legs.get(transaction_id(fact), [])
        grant_prefix = f"customer:{fact.account_id}:credit:{fact.currency}:"
        if fact.kind == ledger.CREDIT_EXPIRE:
            written_off = sum(
                debit for account, debit, _c in mine if account.startswith(grant_prefix)
            )
            told += hot.credit_expired(
                keys, fact.account_id, fact.currency, fact.reference, written_off
            )
            continue
        back = sum(credit for account, _d, credit in mine if account.startswith(grant_prefix))
        forfeited = sum(
            credit
            for account, _d, credit in mine
            if account == ledger.credits_funding_account(fact.currency)
        )
        if not back + forfeited:
            continue
        told += hot.credit_returned(
            keys, fact.account_id, fact.currency, fact.reference, back, forfeited
        )
    return told


def _legs(
    connection: Connection, transaction_ids: list[str]
) -> dict[str, list[tuple[str, int, int]]]:
    entries = tables.ledger_entries.c
    rows = connection.execute(
        sa.select(
            entries.transaction_id,
            entries.ledger_account,
            entries.debit_micros,
            entries.credit_micros,
        ).where(entries.transaction_id.in_(transaction_ids))
    )
    found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for transaction, account, debit, credit in rows:
        found[transaction].append((account, int(debit), int(credit)))
    return found
