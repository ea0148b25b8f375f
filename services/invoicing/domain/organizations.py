"""Organization (billing) details of an account: what is printed on its invoices."""

from __future__ import annotations

import re

EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
TAX_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,63}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
MAX_EMAIL_LENGTH = 254


def valid_email(address: str) -> bool:
    return len(address) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.match(address) is not None
