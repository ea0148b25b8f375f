"""Insert or replace one row, safe against a concurrent writer of the same key."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError


def upsert(
    connection: Connection,
    table: sa.Table,
    where: Any,
    key: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """Update the row matching `where`, or insert it; a row inserted concurrently is updated."""
    if connection.execute(table.update().where(where).values(**values)).rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(table.insert().values(**key, **values))
    except IntegrityError:
        connection.execute(table.update().where(where).values(**values))
