"""The projector's credit side: which grants each hold drew on, where a settlement's unused
credit goes, what an expiry writes off; afterwards the hot balance is told what was placed.

Decided in the order of the partition's ledger stream, under the accounts' write locks, on the
grants that reached the hot balance (their `credit_apply` entry came first). A fact already
written (a batch delivered again) is read back, never decided twice. The ledger is read and
written by the postings' adapter; these are the rules it follows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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

# A leg of a written transaction: (ledger account, debit micros, credit micros).
Leg = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class GrantMark:
    """A grant reached the hot balance (`applied_ms`) or was written off (`written_off_ms`)."""

    credit_id: str
    column: str
    at_ms: int


def moves_credit(fact: Fact) -> bool:
    if fact.kind in (ledger.CREDIT_APPLY, ledger.CREDIT_EXPIRE):
        return True
    return fact.credit_micros > 0 and fact.kind in RESERVING


def transaction_id(fact: Fact) -> str:
    return ledger.transaction_id(fact.kind, fact.account_id, fact.reference)


def locked_accounts(facts: Sequence[Fact]) -> list[str]:
    """The accounts whose write locks placement needs, in the order they are taken."""
    return sorted({fact.account_id for fact in facts if moves_credit(fact)})


def grant_prefix(fact: Fact) -> str:
    """The start of the ledger account of each of the fact's grants."""
    return f"customer:{fact.account_id}:credit:{fact.currency}:"


def holds_read_back(moving: Sequence[Fact], written: set[str]) -> list[Fact]:
    """The facts whose hold is already in the ledger: settlements of earlier holds, and holds
    delivered again."""
    new_holds = {f.reference for f in moving if f.kind == ledger.HOLD}
    return [
        f
        for f in moving
        if (f.kind in ledger.SETTLEMENTS and f.reference not in new_holds)
        or (f.kind == ledger.HOLD and transaction_id(f) in written)
    ]


def decide(
    fact: Fact,
    book: CreditBook,
    arriving: Mapping[str, Grant],
    held: dict[str, Parts],
    done: bool,
) -> tuple[Transaction | None, GrantMark | None]:
    """The transaction a credit-moving fact posts, and the grant it marks, if any."""
    if fact.kind == ledger.CREDIT_APPLY:
        grant = arriving.get(fact.reference)
        if grant is None:
            return None, None
        book.add(grant)
        return None, GrantMark(fact.reference, "applied_ms", fact.at_ms)
    if fact.kind == ledger.CREDIT_EXPIRE:
        left = book.remove(fact.reference)
        mark = GrantMark(fact.reference, "written_off_ms", fact.at_ms)
        if done or not left:
            return None, mark
        expired = ledger.expire_credit(
            fact.account_id, fact.currency, fact.reference, left, fact.at_ms
        )
        return expired, mark
    if fact.kind == ledger.HOLD:
        if done:
            return None, None
        taken = book.take(fact.credit_micros, fact.at_ms)
        held[fact.reference] = taken
        return ledger.post(fact, CreditParts(taken)), None
    if done:
        return None, None
    hold = held.get(fact.reference)
    if hold is None:
        raise CreditShortfall(f"the hold of {fact.reference} is not in the ledger yet")
    actual = fact.actual_micros if fact.kind == ledger.COMMIT else 0
    from_credit, _ = split_charge(fact.credit_micros, actual)
    back = book.give_back(hold, fact.credit_micros - from_credit)
    return ledger.post(fact, back), None


def told_hot(facts: Sequence[Fact]) -> list[Fact]:
    """The facts the hot balance hears of after the commit: expiries, settlements with credit."""
    return [
        fact
        for fact in facts
        if fact.kind == ledger.CREDIT_EXPIRE
        or (fact.kind in ledger.SETTLEMENTS and fact.credit_micros > 0)
    ]


def tell_hot(
    hot: HotCredits,
    partitioner: Partitioner,
    wanted: Sequence[Fact],
    legs: Mapping[str, list[Leg]],
) -> int:
    """Release what settlements gave back, remove what expiries wrote off.

    Amounts come from the written legs, so a batch delivered again tells the same."""
    told = 0
    for fact in wanted:
        keys = partitioner.keys(fact.account_id)
        mine = legs.get(transaction_id(fact), [])
        prefix = grant_prefix(fact)
        if fact.kind == ledger.CREDIT_EXPIRE:
            written_off = sum(debit for account, debit, _c in mine if account.startswith(prefix))
            told += hot.credit_expired(
                keys, fact.account_id, fact.currency, fact.reference, written_off
            )
            continue
        back = sum(credit for account, _d, credit in mine if account.startswith(prefix))
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
