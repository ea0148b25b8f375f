"""Which tax an invoice carries: the issuer's rules applied to the buyer's confirmed status.

The issuer configures a rate per buyer country (and one for the rest), and the countries
whose business buyers (with a tax id) are invoiced under reverse charge. An operator may set
an account's treatment outright: standard, reverse charge, or exempt with a reason. The
buyer's own edits never lower the tax by themselves: a change of country or tax id that would
change the tax waits for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STANDARD = "standard"
REVERSE_CHARGE = "reverse_charge"
EXEMPT = "exempt"
BY_RULES = ""
DEFAULT_REVERSE_CHARGE_NOTE = "Reverse charge: the buyer accounts for the tax"


@dataclass(frozen=True)
class TaxRules:
    rates: dict[str, int] = field(default_factory=dict)
    default_rate_basis_points: int = 0
    reverse_charge_countries: frozenset[str] = frozenset()
    reverse_charge_note: str = ""


@dataclass(frozen=True)
class Buyer:
    country: str
    tax_id: str
    treatment: str = BY_RULES
    exempt_reason: str = ""


@dataclass(frozen=True)
class Applied:
    rate_basis_points: int
    # Printed on the invoice when no tax is charged, saying why.
    note: str = ""


def applied(rules: TaxRules, buyer: Buyer) -> Applied:
    if buyer.treatment == EXEMPT:
        return Applied(0, f"Exempt from tax: {buyer.exempt_reason}")
    reverse = buyer.treatment == REVERSE_CHARGE or (
        buyer.treatment == BY_RULES
        and bool(buyer.tax_id)
        and buyer.country in rules.reverse_charge_countries
    )
    if reverse:
        return Applied(0, rules.reverse_charge_note or DEFAULT_REVERSE_CHARGE_NOTE)
    return Applied(rules.rates.get(buyer.country, rules.default_rate_basis_points))
