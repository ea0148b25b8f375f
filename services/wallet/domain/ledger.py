"""The double-entry ledger: what each wallet fact posts, as immutable balanced transactions.

Ledger accounts (one term, one meaning):
- customer:<account>:money:<CUR>[:<channel>]  what the customer may spend (credit-normal)
- customer:<account>:held:<CUR>[:<channel>]   reserved for messages not yet settled
- revenue:messages:<CUR>                      what settled messages earned
- funding:top-ups:<CUR>                       money received from customers (debit-normal)
- customer:<account>:credit:<CUR>:<credit>    what is left of one granted credit
- funding:credits:<CUR>                       credits granted, less those that expired
- invoices:credits-applied:<CUR>              credits spent on invoices
- revenue:top-up-fees:<CUR>                   transaction fees charged on top-ups
- customer:<account>:credit-held:<CUR>        credit reserved for messages not yet settled
A reservation moves money to held; a commit moves held to revenue (and the rest back);
a release or an expiry moves held back to money. A charge moves money to revenue directly:
a delivered message with no live reservation, or the part of its price above the estimate
(negative when metering's price is below what an earlier commit took: revenue back to
money). A reservation paid partly by credits does the same per part: its credit part moves
from the grants it drew on to credit-held, and back to those grants (or, for a grant written
off meanwhile, to funding:credits). Balances are sums, never edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.wallet.domain.credit_book import NO_CREDIT, CreditParts, split_charge

HOLD = "hold"
COMMIT = "commit"
RELEASE = "release"
EXPIRE = "expire"
FREE = "free"
CHARGE = "charge"
TOP_UP = "top_up"
TOP_UP_FEE = "top_up_fee"
CREDIT_GRANT = "credit_grant"
CREDIT_REDEEM = "credit_redeem"
CREDIT_EXPIRE = "credit_expire"
# A refunded or disputed top-up taken back out of the balance (and its fee out of revenue).
TOP_UP_REVERSAL = "top_up_reversal"
CREDIT_APPLY = "credit_apply"  # a grant reached the hot balance: no transaction of its own
KINDS = frozenset({HOLD, COMMIT, RELEASE, EXPIRE, FREE, CHARGE, TOP_UP})  # facts of the hot path
SETTLEMENTS = frozenset({COMMIT, RELEASE, EXPIRE})
# Transactions written to SQL directly, never through a partition's stream.
BOOKED_KINDS = frozenset({TOP_UP_FEE, TOP_UP_REVERSAL, CREDIT_GRANT, CREDIT_REDEEM, CREDIT_EXPIRE})


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
        if self.kind not in KINDS and self.kind not in BOOKED_KINDS:
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


def transaction_id(kind: str, account_id: str, key: str) -> str:
    """A transaction's id: its kind, the account and the key that makes it once (a
    reservation, a top-up, a grant), so a fact applied again finds the transaction it made."""
    return f"{kind}:{account_id}:{key}"


def money_account(account_id: str, currency: str, channel_id: str = "") -> str:
    suffix = f":{channel_id}" if channel_id else ""
    return f"customer:{account_id}:money:{currency}{suffix}"


def held_account(account_id: str, currency: str, channel_id: str = "") -> str:
    suffix = f":{channel_id}" if channel_id else ""
    return f"customer:{account_id}:held:{currency}{suffix}"


def credit_held_account(account_id: str, currency: str) -> str:
    return f"customer:{account_id}:credit-held:{currency}"


def revenue_account(currency: str) -> str:
    return f"revenue:messages:{currency}"


def funding_account(currency: str) -> str:
    return f"funding:top-ups:{currency}"


def credit_account(account_id: str, currency: str, credit_id: str) -> str:
    return f"customer:{account_id}:credit:{currency}:{credit_id}"


def credits_funding_account(currency: str) -> str:
    return f"funding:credits:{currency}"


def credits_applied_account(currency: str) -> str:
    return f"invoices:credits-applied:{currency}"


def fee_revenue_account(currency: str) -> str:
    return f"revenue:top-up-fees:{currency}"


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
    credit_micros: int = 0  # of a reservation's amount, the part drawn from credits

    @property
    def money_micros(self) -> int:
        return self.amount_micros - self.credit_micros


def post(fact: Fact, credit: CreditParts = NO_CREDIT) -> Transaction:
    """The balanced transaction a fact posts; `credit`: the grants a hold drew on, or where a
    settlement's unused credit goes (the projector decides both)."""
    money = money_account(fact.account_id, fact.currency, fact.channel_id)
    held = held_account(fact.account_id, fact.currency, fact.channel_id)
    amount = fact.money_micros
    legs: tuple[Leg, ...]
    if fact.kind == HOLD:
        legs = (Leg(money, amount, 0), Leg(held, 0, amount), *_credit_hold(fact, credit))
    elif fact.kind == COMMIT:
        if not 0 <= fact.actual_micros <= fact.amount_micros:
            raise LedgerInvariantError(
                f"commit of {fact.actual_micros} over a hold of {fact.amount_micros}"
            )
        from_credit, from_money = split_charge(fact.credit_micros, fact.actual_micros)
        legs = (
            Leg(held, amount, 0),
            Leg(revenue_account(fact.currency), 0, fact.actual_micros),
            Leg(money, 0, amount - from_money),
            *_credit_back(fact, credit, fact.credit_micros - from_credit),
        )
    elif fact.kind in (RELEASE, EXPIRE):
        legs = (
            Leg(held, amount, 0),
            Leg(money, 0, amount),
            *_credit_back(fact, credit, fact.credit_micros),
        )
    elif fact.kind == FREE:
        legs = (Leg(money, 0, 0), Leg(revenue_account(fact.currency), 0, 0))
    elif fact.kind == CHARGE:
        taken = fact.amount_micros  # signed: negative gives back what a commit took above
        revenue = revenue_account(fact.currency)
        legs = (
            Leg(money, max(taken, 0), max(-taken, 0)),
            Leg(revenue, max(-taken, 0), max(taken, 0)),
        )
    elif fact.kind == TOP_UP:
        legs = (Leg(funding_account(fact.currency), amount, 0), Leg(money, 0, amount))
    else:
        raise LedgerInvariantError(f"unknown fact kind {fact.kind!r}")
    return Transaction(
        transaction_id=transaction_id(fact.kind, fact.account_id, fact.reference),
        account_id=fact.account_id,
        channel_id=fact.channel_id,
        currency=fact.currency,
        kind=fact.kind,
        reference=fact.reference,
        at_ms=fact.at_ms,
        legs=legs,
    )


def _credit_hold(fact: Fact, credit: CreditParts) -> tuple[Leg, ...]:
    if not fact.credit_micros:
        return ()
    if credit.forfeited_micros or credit.total_micros != fact.credit_micros:
        raise LedgerInvariantError(
            f"hold {fact.reference}: grants give {credit.total_micros} of {fact.credit_micros}"
        )
    return (
        *(
            Leg(credit_account(fact.account_id, fact.currency, credit_id), micros, 0)
            for credit_id, micros in credit.grants
        ),
        Leg(credit_held_account(fact.account_id, fact.currency), 0, fact.credit_micros),
    )


def _credit_back(fact: Fact, credit: CreditParts, unused_micros: int) -> tuple[Leg, ...]:
    """A settlement's credit legs: credit-held is emptied; the unused part goes back."""
    if not fact.credit_micros:
        return ()
    if credit.total_micros != unused_micros:
        raise LedgerInvariantError(
            f"settlement {fact.reference}: {credit.total_micros} placed of {unused_micros} unused"
        )
    legs = [Leg(credit_held_account(fact.account_id, fact.currency), fact.credit_micros, 0)]
    legs += [
        Leg(credit_account(fact.account_id, fact.currency, credit_id), 0, micros)
        for credit_id, micros in credit.grants
    ]
    if credit.forfeited_micros:
        legs.append(Leg(credits_funding_account(fact.currency), 0, credit.forfeited_micros))
    return tuple(legs)


def _transaction(
    kind: str, account_id: str, currency: str, key: str, reference: str, at_ms: int, *legs: Leg
) -> Transaction:
    return Transaction(
        transaction_id=transaction_id(kind, account_id, key),
        account_id=account_id,
        channel_id="",
        currency=currency,
        kind=kind,
        reference=reference,
        at_ms=at_ms,
        legs=legs,
    )


def top_up_fee(
    account_id: str, currency: str, top_up_id: str, fee_micros: int, at_ms: int
) -> Transaction:
    """The fee paid on top of a top-up is the provider's revenue, not the customer's money."""
    return _transaction(
        TOP_UP_FEE,
        account_id,
        currency,
        top_up_id,
        top_up_id,
        at_ms,
        Leg(funding_account(currency), fee_micros, 0),
        Leg(fee_revenue_account(currency), 0, fee_micros),
    )


def top_up_reversal(
    account_id: str,
    channel_id: str,
    currency: str,
    reversal_id: str,
    amount_micros: int,
    fee_micros: int,
    at_ms: int,
) -> Transaction:
    """Money a refund or a dispute takes back: out of the balance (below zero when it was
    spent: a debt) and the fee out of revenue, both back to where top-ups are funded from."""
    legs = [
        Leg(money_account(account_id, currency, channel_id), amount_micros, 0),
        Leg(fee_revenue_account(currency), fee_micros, 0),
        Leg(funding_account(currency), 0, amount_micros + fee_micros),
    ]
    return Transaction(
        transaction_id=transaction_id(TOP_UP_REVERSAL, account_id, reversal_id),
        account_id=account_id,
        channel_id=channel_id,
        currency=currency,
        kind=TOP_UP_REVERSAL,
        reference=reversal_id,
        at_ms=at_ms,
        legs=tuple(leg for leg in legs if leg.debit_micros or leg.credit_micros),
    )


def grant_credit(
    account_id: str, currency: str, credit_id: str, amount_micros: int, at_ms: int
) -> Transaction:
    return _transaction(
        CREDIT_GRANT,
        account_id,
        currency,
        credit_id,
        credit_id,
        at_ms,
        Leg(credits_funding_account(currency), amount_micros, 0),
        Leg(credit_account(account_id, currency, credit_id), 0, amount_micros),
    )


def redeem_credit(
    account_id: str,
    currency: str,
    credit_id: str,
    redemption_id: str,
    invoice_id: str,
    amount_micros: int,
    at_ms: int,
) -> Transaction:
    return _transaction(
        CREDIT_REDEEM,
        account_id,
        currency,
        redemption_id,
        invoice_id,
        at_ms,
        Leg(credit_account(account_id, currency, credit_id), amount_micros, 0),
        Leg(credits_applied_account(currency), 0, amount_micros),
    )


def expire_credit(
    account_id: str, currency: str, credit_id: str, amount_micros: int, at_ms: int
) -> Transaction:
    """What was left of a credit at its expiry goes back to the grants account."""
    return _transaction(
        CREDIT_EXPIRE,
        account_id,
        currency,
        credit_id,
        credit_id,
        at_ms,
        Leg(credit_account(account_id, currency, credit_id), amount_micros, 0),
        Leg(credits_funding_account(currency), 0, amount_micros),
    )
