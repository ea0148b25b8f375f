"""Statements that differ by dialect: insert-if-absent, upsert, add-to-counters, or-into-masks,
keep-the-least.

On PostgreSQL a batch of rows travels as one JSON document (`json_to_recordset`), encoded in
C by the json module, so each statement is one round trip with a fixed text, planned once,
whatever the batch size. (Arrays per column cost a Python call per element to adapt.) Conflicts
are found through the unique index, never through the planner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

Rows = Sequence[dict[str, Any]]


def _insert(connection: Connection, table: sa.Table, rows: Rows) -> tuple[Any, Any]:
    """An INSERT for `rows` and the parameters to execute it with."""
    if connection.dialect.name != "postgresql":
        return sqlite.insert(table), list(rows)
    names = list(rows[0])
    document = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSON)
    batch = (
        sa.func.json_to_recordset(document)
        .table_valued(*(sa.column(name, table.c[name].type) for name in names))
        .render_derived(name="batch", with_types=True)
    )
    source = sa.select(*(batch.c[name] for name in names))
    statement = postgresql.insert(table).from_select(names, source)
    return statement, {"rows": _json_rows(table, names, rows)}


def _json_rows(table: sa.Table, names: list[str], rows: Rows) -> str:
    """The rows as a JSON array of objects; bytes as bytea's hex text."""
    binary = [name for name in names if isinstance(table.c[name].type, sa.LargeBinary)]
    if binary:
        rows = [{**row, **{name: "\\x" + row[name].hex() for name in binary}} for row in rows]
    return json.dumps(rows, separators=(",", ":"))


def insert_rows(connection: Connection, table: sa.Table, rows: Rows) -> None:
    if rows:
        statement, parameters = _insert(connection, table, rows)
        connection.execute(statement, parameters)


def insert_absent(
    connection: Connection, table: sa.Table, rows: Rows, returning: Sequence[str] = ()
) -> list[sa.Row[Any]]:
    """Insert rows whose primary or unique key is new; return `returning` of those inserted."""
    if not rows:
        return []
    statement, parameters = _insert(connection, table, rows)
    statement = statement.on_conflict_do_nothing()
    if not returning:
        connection.execute(statement, parameters)
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(connection.execute(statement, parameters).all())


def upsert(
    connection: Connection,
    table: sa.Table,
    rows: Rows,
    update: Sequence[str],
    returning: Sequence[str] = (),
) -> list[sa.Row[Any]]:
    """Insert rows, or set the `update` columns of existing ones (an empty `update` only locks
    the existing row); `returning` of every row as it now is."""
    if not rows:
        return []
    keys = [column.name for column in table.primary_key.columns]
    statement, parameters = _insert(connection, table, rows)
    if update:
        values = {name: statement.excluded[name] for name in update}
    else:
        values = {keys[0]: table.c[keys[0]]}
    statement = statement.on_conflict_do_update(index_elements=keys, set_=values)
    if not returning:
        connection.execute(statement, parameters)
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(connection.execute(statement, parameters).all())


def add_to_counters(
    connection: Connection,
    table: sa.Table,
    rows: Rows,
    counters: Sequence[str],
    returning: bool = False,
) -> list[sa.Row[Any]]:
    """Insert each keyed row, or add its counters to the existing row; with `returning`, the
    key and counters of each row as they now are."""
    if not rows:
        return []
    keys = [column.name for column in table.primary_key.columns]
    statement, parameters = _insert(connection, table, rows)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
    if not returning:
        connection.execute(statement, parameters)
        return []
    statement = statement.returning(*(table.c[name] for name in (*keys, *counters)))
    return list(connection.execute(statement, parameters).all())


def or_into_mask(connection: Connection, table: sa.Table, rows: Rows, mask: str) -> None:
    """Insert each keyed row, or OR its bit mask into the existing one (skipped when set)."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    statement, parameters = _insert(connection, table, rows)
    column, new = table.c[mask], statement.excluded[mask]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={mask: column.op("|")(new)},
        where=column.op("&")(new) != new,
    )
    connection.execute(statement, parameters)


def keep_least(connection: Connection, table: sa.Table, rows: Rows, column: str) -> None:
    """Insert each keyed row, or lower `column` of the existing one to the row's value."""
    if not rows:
        return
    keys = [key.name for key in table.primary_key.columns]
    statement, parameters = _insert(connection, table, rows)
    new = statement.excluded[column]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={column: new}, where=table.c[column] > new
    )
    connection.execute(statement, parameters)
