"""Statements that differ by dialect: insert-if-absent, add-to-counters, or-into-masks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def _insert(connection: Connection, table: sa.Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_absent(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    returning: Sequence[str] = (),
) -> list[sa.Row[Any]]:
    """Insert rows whose primary or unique key is new; return `returning` of those inserted."""
    if not rows:
        return []
    statement = _insert(connection, table).on_conflict_do_nothing()
    if not returning:
        connection.execute(statement, list(rows))
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(connection.execute(statement, list(rows)).all())


def add_to_counters(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    counters: Sequence[str],
) -> None:
    """Insert each keyed row, or add its counters to the existing row."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
    connection.execute(statement, list(rows))


def or_into_mask(
    connection: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], mask: str
) -> None:
    """Insert each keyed row, or OR its bit mask into the existing one (skipped when set)."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    statement = _insert(connection, table)
    column, new = table.c[mask], statement.excluded[mask]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={mask: column.op("|")(new)},
        where=column.op("&")(new) != new,
    )
    connection.execute(statement, list(rows))
