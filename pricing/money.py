"""Money is integer micros (1e-6 of the currency's major unit); decimals are parsed as strings."""

from __future__ import annotations

import re

MICROS_PER_UNIT = 1_000_000
BASIS_POINTS_PER_UNIT = 10_000
_DECIMAL = re.compile(r"(\d+)(?:\.(\d+))?")


def parse_micros(text: str) -> int:
    """Parse a non-negative decimal such as '0.0034' into micros, exactly.

    Raises ValueError for anything else, including more than 6 decimals.
    """
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a non-negative decimal number")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > 6:
        raise ValueError(f"{text!r} has more than 6 decimals (money is integer micros)")
    return int(whole) * MICROS_PER_UNIT + int(fraction.ljust(6, "0"))


def format_micros(amount_micros: int) -> str:
    """Render micros as a decimal string with 6 places, e.g. 3400 -> '0.003400'."""
    sign = "-" if amount_micros < 0 else ""
    whole, fraction = divmod(abs(amount_micros), MICROS_PER_UNIT)
    return f"{sign}{whole}.{fraction:06d}"


def apply_basis_points(amount_micros: int, basis_points: int) -> int:
    """amount x bps / 10,000 to the micro, an exact half micro away from zero.

    The one basis-point rounding rule of the suite: provider markups, top-up fees, plan
    discounts. (Invoices round their totals to the currency's minor unit, a separate rule.)
    """
    product = amount_micros * basis_points
    half_up = (2 * abs(product) + BASIS_POINTS_PER_UNIT) // (2 * BASIS_POINTS_PER_UNIT)
    return -half_up if product < 0 else half_up


def markup_micros(amount_micros: int, markup_bps: int) -> int:
    """The markup on a non-negative amount: apply_basis_points, refusing negative factors."""
    if amount_micros < 0 or markup_bps < 0:
        raise ValueError("markup applies to non-negative amounts and basis points")
    return apply_basis_points(amount_micros, markup_bps)
