"""Invoices in the domain's words: kinds, statuses, lines, totals and numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.invoicing.domain import money

QUANTITY_MILLI_PER_UNIT = 1000
MAX_TAX_RATE_BASIS_POINTS = 10_000


class Kind:
    SUBSCRIPTION = "subscription"
    NOTIFICATIONS = "notifications"
    TOP_UP_RECEIPT = "top_up_receipt"
    PARTNER_DAYS = "partner_days"
    CREDIT_NOTE = "credit_note"
    STATEMENT = "statement"
    ALL = (SUBSCRIPTION, NOTIFICATIONS, TOP_UP_RECEIPT, PARTNER_DAYS, CREDIT_NOTE, STATEMENT)


class Status:
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    ISSUED = "issued"


# Each series is numbered 1, 2, 3, ... without gaps per issuer and year.
SERIES_BY_KIND = {
    Kind.SUBSCRIPTION: "INV",
    Kind.NOTIFICATIONS: "INV",
    Kind.PARTNER_DAYS: "INV",
    Kind.TOP_UP_RECEIPT: "RCT",
    Kind.CREDIT_NOTE: "CN",
    Kind.STATEMENT: "ST",
}


def invoice_number(series: str, year: int, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{series}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class Line:
    description: str
    kind: str
    quantity_milli: int
    unit_price_micros: int
    amount_micros: int
    taxable: bool = True

    @classmethod
    def priced(
        cls,
        description: str,
        kind: str,
        quantity: int,
        unit_price_micros: int,
        taxable: bool = True,
    ) -> Line:
        """A whole quantity at a unit price: the amount is exact."""
        return cls(
            description=description,
            kind=kind,
            quantity_milli=quantity * QUANTITY_MILLI_PER_UNIT,
            unit_price_micros=unit_price_micros,
            amount_micros=quantity * unit_price_micros,
            taxable=taxable,
        )

    @classmethod
    def amount(cls, description: str, kind: str, amount_micros: int, taxable: bool = True) -> Line:
        """One unit of a given amount (a fee, a discount, a correction)."""
        return cls(
            description, kind, QUANTITY_MILLI_PER_UNIT, amount_micros, amount_micros, taxable
        )


@dataclass(frozen=True)
class Totals:
    subtotal_micros: int
    tax_micros: int

    @property
    def total_micros(self) -> int:
        return self.subtotal_micros + self.tax_micros


def totals(lines: list[Line], tax_rate_basis_points: int, currency_code: str) -> Totals:
    """Subtotal and tax, each rounded once to the currency's minor unit (half away from zero).

    Tax is the rate applied to the rounded sum of the taxable lines.
    """
    if not 0 <= tax_rate_basis_points <= MAX_TAX_RATE_BASIS_POINTS:
        raise ValueError(f"tax rate out of range: {tax_rate_basis_points} bps")
    subtotal = money.round_to_minor_unit(sum(line.amount_micros for line in lines), currency_code)
    taxable = money.round_to_minor_unit(
        sum(line.amount_micros for line in lines if line.taxable), currency_code
    )
    tax = money.round_to_minor_unit(
        taxable * tax_rate_basis_points, currency_code, money.BASIS_POINTS
    )
    return Totals(subtotal_micros=subtotal, tax_micros=tax)


def amount_due(
    total_micros: int, credits_applied_micros: int, credited_micros: int, paid_micros: int
) -> int:
    """What is left to pay: never below zero (an over-credit is owed back, not due)."""
    return max(0, total_micros - credits_applied_micros - credited_micros - paid_micros)


def amount_due_of(stored: Mapping[str, Any]) -> int:
    """What is left to pay on an invoice as stored: only an open or paid one owes anything."""
    if stored["status"] not in (Status.OPEN, Status.PAID):
        return 0
    return amount_due(
        stored["total_micros"],
        stored["credits_applied_micros"],
        stored["credited_micros"],
        stored["paid_micros"],
    )
