"""Ids this service makes: a prefix and 26 base32 letters (no long digit runs, which the
card-number check would refuse)."""

from __future__ import annotations

import base64
import uuid


def _text(value: uuid.UUID) -> str:
    return base64.b32encode(value.bytes).decode().rstrip("=").lower()


def new_id(prefix: str) -> str:
    return f"{prefix}_{_text(uuid.uuid4())}"


def derived_id(prefix: str, source: str) -> str:
    """The same id for the same source (a retry with the same idempotency key)."""
    return f"{prefix}_{_text(uuid.uuid5(uuid.NAMESPACE_URL, source))}"
