"""Signing secrets: one current per endpoint; after a rotation the previous one signs beside it
until its overlap ends (receivers accept either signature)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.adapters import tables

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_secrets(
    connection: Connection, endpoint_ids: Sequence[str], now_ms: int
) -> dict[str, list[str]]:
    """The secrets that sign now, per endpoint, newest first."""
    s = tables.endpoint_secrets.c
    rows = connection.execute(
        sa.select(s.endpoint_id, s.secret)
        .where(
            s.endpoint_id.in_(list(endpoint_ids)),
            sa.or_(s.expire_ms.is_(None), s.expire_ms > now_ms),
        )
        .order_by(s.created_ms.desc())
    ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.endpoint_id, []).append(row.secret)
    return found
