"""Currencies' minor units (ISO 4217 exponents): what a card can be charged to the unit."""

from __future__ import annotations

MICROS_PER_UNIT = 1_000_000
DEFAULT_MINOR_DIGITS = 2
# ISO 4217 exponents that differ from 2.
ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
MINOR_DIGITS = {
    **dict.fromkeys(ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(THREE_DECIMALS.split(), 3),
}


def minor_digits(currency_code: str) -> int:
    return MINOR_DIGITS.get(currency_code, DEFAULT_MINOR_DIGITS)


def micros_per_minor_unit(currency_code: str) -> int:
    return MICROS_PER_UNIT // 10 ** minor_digits(currency_code)


def is_whole_minor_units(amount_micros: int, currency_code: str) -> bool:
    return amount_micros % micros_per_minor_unit(currency_code) == 0


def round_half_up_to_minor_unit(amount_micros: int, currency_code: str) -> int:
    """To the nearest minor unit, an exact half away from zero (how a quoted fee is rounded)."""
    unit = micros_per_minor_unit(currency_code)
    sign = -1 if amount_micros < 0 else 1
    return sign * ((2 * abs(amount_micros) + unit) // (2 * unit)) * unit
