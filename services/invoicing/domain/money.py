"""Invoice money: integer micros, rounded once, to the currency's minor unit.

The rounding rule of invoices (ROUND_HALF_UP_TO_MINOR_UNIT): an exact amount in micros (or a
fraction of micros) is rounded to the nearest minor unit of its currency, an exact half away
from zero. It is applied once per invoice, to the totals (subtotal and tax); lines keep their
exact micros. Credits keep the micros the wallet redeemed.
"""

from __future__ import annotations

from pricing.money import BASIS_POINTS_PER_UNIT
from services.common.currencies import MICROS_PER_UNIT, micros_per_minor_unit, minor_digits

BASIS_POINTS = BASIS_POINTS_PER_UNIT


class InexactAmount(ValueError):
    """An amount that is not a whole number of its currency's minor units."""


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, an exact half away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def round_to_minor_unit(amount_micros: int, currency_code: str, denominator: int = 1) -> int:
    """ROUND_HALF_UP_TO_MINOR_UNIT of amount_micros / denominator, in micros."""
    unit = micros_per_minor_unit(currency_code)
    return divide_half_up(amount_micros, unit * denominator) * unit


def to_minor_units(amount_micros: int, currency_code: str) -> int:
    """Micros as a count of the currency's minor units (cents, yen, fils), exactly or not at all.

    USD 12.345 is refused, never rounded: a card is charged what was quoted, to the unit.
    """
    unit = micros_per_minor_unit(currency_code)
    units, rest = divmod(amount_micros, unit)
    if rest:
        digits = minor_digits(currency_code)
        raise InexactAmount(
            f"{format_amount(amount_micros, currency_code)} is not a whole number of "
            f"{currency_code} minor units ({digits} decimals)"
        )
    return units


def from_minor_units(amount_minor: int, currency_code: str) -> int:
    return amount_minor * micros_per_minor_unit(currency_code)


def is_whole_minor_units(amount_micros: int, currency_code: str) -> bool:
    return amount_micros % micros_per_minor_unit(currency_code) == 0


def format_amount(amount_micros: int, currency_code: str) -> str:
    """'USD 1,234.50'; extra decimals are shown only where a line has them (0.0034)."""
    digits = minor_digits(currency_code)
    sign = "-" if amount_micros < 0 else ""
    whole, fraction = divmod(abs(amount_micros), MICROS_PER_UNIT)
    decimals = f"{fraction:06d}".rstrip("0").ljust(digits, "0")
    text = f"{whole:,}" + (f".{decimals}" if decimals else "")
    return f"{currency_code} {sign}{text}"
