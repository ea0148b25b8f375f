"""Ids this service makes: a prefix and 26 base32 letters."""

from __future__ import annotations

import base64
import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}_{base64.b32encode(uuid.uuid4().bytes).decode().rstrip('=').lower()}"
