"""Idempotency keys scoped to the account they were given for."""

from __future__ import annotations

import hashlib

from services.common import idempotency


def account_key(account_id: str, key: str) -> str:
    """An idempotency key scoped to one account: another account's equal key is another key."""
    idempotency.check_key(key)
    scoped = f"{account_id}/{key}"
    if len(scoped) <= idempotency.MAX_KEY_LENGTH:
        return scoped
    return hashlib.sha256(scoped.encode()).hexdigest()
