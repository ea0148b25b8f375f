"""Cards on file: only a provider's token and what may be shown (brand, last 4, expiry).

A full card number (PAN) must never be stored or logged: any text with 13 to 19 digits in a
row (spaces and dashes between them allowed) that passes the Luhn check is taken for one and
refused, whatever the field.
"""

from __future__ import annotations

import re

MIN_PAN_DIGITS = 13
MAX_PAN_DIGITS = 19
PAN_PATTERN = re.compile(r"(?:\d[ -]?){12,}\d")
LAST4_PATTERN = re.compile(r"^\d{4}$")
BRANDS = frozenset(
    ("visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "rupay", "elo")
)
MIN_EXP_YEAR = 2000
MAX_EXP_YEAR = 2100


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """13 to 19 digits in a row (spaces or dashes between them) passing the Luhn check."""
    for match in PAN_PATTERN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if len(digits) <= MAX_PAN_DIGITS:
            if luhn_valid(digits):
                return True
            continue
        # A longer run may hide a number inside it: any window that passes counts.
        for length in range(MIN_PAN_DIGITS, MAX_PAN_DIGITS + 1):
            windows = (digits[start : start + length] for start in range(len(digits) - length + 1))
            if any(luhn_valid(window) for window in windows):
                return True
    return False


def expired(exp_month: int, exp_year: int, year: int, month: int) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (exp_year, exp_month) < (year, month)
