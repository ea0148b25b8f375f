"""Statements that differ by dialect: insert-if-absent, upsert, add-to-counters, or-into-masks,
keep-the-least.

On PostgreSQL a batch of rows travels as one JSON array of arrays (`jsonb_array_elements`, a
field per column in order, cast to the column's type), encoded in C by the json module, so each
statement is one round trip with a fixed text, planned once, whatever the batch size. (Arrays
per column cost a Python call per element to adapt; objects repeat every key.) Conflicts are
found through the unique index, never through the planner. Each statement is built once per
(dialect, table, columns) and kept: building one costs more than running it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

Rows = Sequence[dict[str, Any]]
Names = tuple[str, ...]
# Statements this module builds: a handful per table metering writes.
MAX_CACHED_STATEMENTS = 256


def _insert(dialect: str, table: sa.Table, names: Names) -> Any:
    """An INSERT of rows with these columns (on PostgreSQL, from the JSON document `rows`)."""
    if dialect != "postgresql":
        return sqlite.insert(table)
    document = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSONB)
    row = sa.func.jsonb_array_elements(document).table_valued("value").render_derived("batch")
    fields: list[sa.ColumnElement[Any]] = []
    for index, name in enumerate(names):
        text = row.c.value.op("->>")(sa.literal_column(str(index)))
        if isinstance(table.c[name].type, sa.LargeBinary):
            fields.append(sa.func.decode(text, sa.literal_column("'hex'")))
        else:
            fields.append(sa.cast(text, table.c[name].type))
    return postgresql.insert(table).from_select(names, sa.select(*fields))


def _keys(table: sa.Table) -> list[str]:
    return [column.name for column in table.primary_key.columns]


def _returning(statement: Any, table: sa.Table, returning: Names) -> Any:
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


@lru_cache(maxsize=MAX_CACHED_STATEMENTS)
def _absent(dialect: str, table: sa.Table, names: Names, returning: Names) -> Any:
    statement = _insert(dialect, table, names).on_conflict_do_nothing()
    return _returning(statement, table, returning)


@lru_cache(maxsize=MAX_CACHED_STATEMENTS)
def _upsert(dialect: str, table: sa.Table, names: Names, update: Names, returning: Names) -> Any:
    statement = _insert(dialect, table, names)
    keys = _keys(table)
    if update:
        values = {name: statement.excluded[name] for name in update}
    else:
        values = {keys[0]: table.c[keys[0]]}
    statement = statement.on_conflict_do_update(index_elements=keys, set_=values)
    return _returning(statement, table, returning)


@lru_cache(maxsize=MAX_CACHED_STATEMENTS)
def _add(dialect: str, table: sa.Table, names: Names, counters: Names, returning: Names) -> Any:
    statement = _insert(dialect, table, names)
    statement = statement.on_conflict_do_update(
        index_elements=_keys(table),
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
    return _returning(statement, table, returning)


@lru_cache(maxsize=MAX_CACHED_STATEMENTS)
def _or_mask(dialect: str, table: sa.Table, names: Names, mask: str) -> Any:
    statement = _insert(dialect, table, names)
    column, new = table.c[mask], statement.excluded[mask]
    return statement.on_conflict_do_update(
        index_elements=_keys(table),
        set_={mask: column.op("|")(new)},
        where=column.op("&")(new) != new,
    )


@lru_cache(maxsize=MAX_CACHED_STATEMENTS)
def _least(dialect: str, table: sa.Table, names: Names, column: str) -> Any:
    statement = _insert(dialect, table, names)
    new = statement.excluded[column]
    return statement.on_conflict_do_update(
        index_elements=_keys(table), set_={column: new}, where=table.c[column] > new
    )


def _parameters(connection: Connection, table: sa.Table, names: Names, rows: Rows) -> Any:
    if connection.dialect.name != "postgresql":
        return list(rows)
    fields = itemgetter(*names, names[0])  # a tuple even for one name; the extra is dropped
    values = [fields(row)[:-1] for row in rows]
    binary = [i for i, name in enumerate(names) if isinstance(table.c[name].type, sa.LargeBinary)]
    if binary:  # as hex text
        values = [_hex(row, binary) for row in values]
    return {"rows": json.dumps(values, separators=(",", ":"))}


def _hex(row: tuple[Any, ...], binary: list[int]) -> list[Any]:
    fields = list(row)
    for index in binary:
        fields[index] = fields[index].hex()
    return fields


def _run(
    connection: Connection, statement: Any, table: sa.Table, names: Names, rows: Rows
) -> list[sa.Row[Any]]:
    result = connection.execute(statement, _parameters(connection, table, names, rows))
    return list(result.all()) if result.returns_rows else []


def insert_absent(
    connection: Connection, table: sa.Table, rows: Rows, returning: Sequence[str] = ()
) -> list[sa.Row[Any]]:
    """Insert rows whose primary or unique key is new; return `returning` of those inserted."""
    if not rows:
        return []
    names = tuple(rows[0])
    statement = _absent(connection.dialect.name, table, names, tuple(returning))
    return _run(connection, statement, table, names, rows)


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
    names = tuple(rows[0])
    statement = _upsert(connection.dialect.name, table, names, tuple(update), tuple(returning))
    return _run(connection, statement, table, names, rows)


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
    names, counted = tuple(rows[0]), tuple(counters)
    shown = (*_keys(table), *counted) if returning else ()
    statement = _add(connection.dialect.name, table, names, counted, shown)
    return _run(connection, statement, table, names, rows)


def or_into_mask(connection: Connection, table: sa.Table, rows: Rows, mask: str) -> None:
    """Insert each keyed row, or OR its bit mask into the existing one (skipped when set)."""
    if rows:
        names = tuple(rows[0])
        statement = _or_mask(connection.dialect.name, table, names, mask)
        _run(connection, statement, table, names, rows)


def keep_least(connection: Connection, table: sa.Table, rows: Rows, column: str) -> None:
    """Insert each keyed row, or lower `column` of the existing one to the row's value."""
    if rows:
        names = tuple(rows[0])
        _run(connection, _least(connection.dialect.name, table, names, column), table, names, rows)
