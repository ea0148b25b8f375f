"""The double-entry ledger: what each wallet fact posts, as immutable balanced transactions.

Ledger accounts (one term, one meaning):
- customer:<account>:money:<CUR>[:<channel>]  what the customer may spend (credit-normal)
- customer:<account>:held:<CUR>[:<channel>]   reserved for messages not yet settled
- revenue:messages:<CUR>                      what settled messages earned
- funding:top-ups:<CUR>                       money received from customers (debit-normal)
A reservation moves money to held; a commit moves held to revenue (and the rest back);
a release or an expiry moves held back to money. Balances are sums, never edited.
"""

from __future__ import annotations

from dataclasses import dataclass

HOLD = "hold"
COMMIT = "commit"
RELEASE = "release"
EXPIRE = "expire"
FREE = "free"
TOP_UP = "top_up"
KINDS = frozenset({HOLD, COMMIT, RELEASE, EXPIRE, FREE, TOP_UP})


class LedgerInvariantError(Exception):
    """A transaction or the ledger as a whole breaks double entry."""


@dataclass(frozen=True, slots=True)
class Leg:
    ledger_account: str
    debit_micros: int
    credit_micros: int


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    account_id: str
    channel_id: str
    currency: str
    kind: str
    reference: str
    at_ms: int
    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise LedgerInvariantError(f"unknown transaction kind {self.kind!r}")
        debits = sum(leg.debit_micros for leg in self.legs)
        credits = sum(leg.credit_micros for leg in self.legs)
        if debits != credits:
            raise LedgerInvariantError(
                f"transaction {self.transaction_id}: debits {debits} != credits {credits}"
            )
        if any(leg.debit_micros < 0 or leg.credit_micros < 0 for leg in self.legs):
            raise LedgerInvariantError(f"transaction {self.transaction_id}: negative leg")

    def entry_ids(self) -> list[str]:
        return [f"{self.transaction_id}:{index}" for index in range(len(self.legs))]


def money_account(account_id: str, currency: str, channel_id: str = "") -> str:
    suffix = f":{channel_id}" if channel_id else ""
    return f"customer:{account_id}:money:{currency}{suffix}"


def held_account(account_id: str, currency: str, channel_id: str = "") -> str:
    suffix = f":{channel_id}" if channel_id else ""
    return f"customer:{account_id}:held:{currency}{suffix}"


def revenue_account(currency: str) -> str:
    return f"revenue:messages:{currency}"


def funding_account(currency: str) -> str:
    return f"funding:top-ups:{currency}"


@dataclass(frozen=True, slots=True)
class Fact:
    """One record of the hot path's ledger stream, decoded."""

    kind: str
    account_id: str
    channel_id: str  # the balance's channel ("" when funds are kept per account)
    currency: str
    reference: str  # reservation id, message id or top-up id
    amount_micros: int  # reserved, or topped up
    actual_micros: int  # for commits: what is charged (<= amount_micros)
    at_ms: int


def post(fact: Fact) -> Transaction:
    """The balanced transaction a fact posts."""
    money = money_account(fact.account_id, fact.currency, fact.channel_id)
    held = held_account(fact.account_id, fact.currency, fact.channel_id)
    amount = fact.amount_micros
    legs: tuple[Leg, ...]
    if fact.kind == HOLD:
        legs = (Leg(money, amount, 0), Leg(held, 0, amount))
    elif fact.kind == COMMIT:
        if not 0 <= fact.actual_micros <= amount:
            raise LedgerInvariantError(f"commit of {fact.actual_micros} over a hold of {amount}")
        legs = (
            Leg(held, amount, 0),
            Leg(revenue_account(fact.currency), 0, fact.actual_micros),
            Leg(money, 0, amount - fact.actual_micros),
        )
    elif fact.kind in (RELEASE, EXPIRE):
        legs = (Leg(held, amount, 0), Leg(money, 0, amount))
    elif fact.kind == FREE:
        legs = (Leg(money, 0, 0), Leg(revenue_account(fact.currency), 0, 0))
    elif fact.kind == TOP_UP:
        legs = (Leg(funding_account(fact.currency), amount, 0), Leg(money, 0, amount))
    else:
        raise LedgerInvariantError(f"unknown fact kind {fact.kind!r}")
    return Transaction(
        transaction_id=f"{fact.kind}:{fact.account_id}:{fact.reference}",
        account_id=fact.account_id,
        channel_id=fact.channel_id,
        currency=fact.currency,
        kind=fact.kind,
        reference=fact.reference,
        at_ms=fact.at_ms,
        legs=legs,
    )
