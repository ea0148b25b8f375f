"""Cards on file: only a provider's token and what may be shown (brand, last 4, expiry).

A full card number (PAN) must never be stored or logged: any text with 13 to 19 digits in a
row (spaces and dashes between them allowed) is taken for one and refused.
"""

from __future__ import annotations

import re

PAN_PATTERN = re.compile(r"(?:\d[ -]?){12,18}\d")
LAST4_PATTERN = re.compile(r"^\d{4}$")
BRANDS = frozenset(
    ("visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "rupay", "elo")
)
MIN_EXP_YEAR = 2000
MAX_EXP_YEAR = 2100


def looks_like_card_number(text: str) -> bool:
    return PAN_PATTERN.search(text) is not None


def expired(exp_month: int, exp_year: int, year: int, month: int) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (exp_year, exp_month) < (year, month)
