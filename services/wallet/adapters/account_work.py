"""The accounts' SQL behind their ports: the operators' directory of accounts."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import tables
from services.wallet.service.commands.accounts import AccountEntry
from services.wallet.service.ports.accounts import AccountDirectory


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` (its wildcards escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class SqlAccountDirectory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, query: str, name_prefix: str, after: str, limit: int) -> list[AccountEntry]:
        accounts = tables.accounts
        statement = sa.select(accounts.c.account_id, accounts.c.profile)
        if query:
            statement = statement.where(
                sa.or_(
                    sa.and_(
                        # LIKE for PostgreSQL's index; SQLite's LIKE ignores ASCII case, so
                        # the exact start is compared as well.
                        accounts.c.account_id.like(_like_prefix(query), escape="\\"),
                        sa.func.substr(accounts.c.account_id, 1, len(query)) == query,
                    ),
                    accounts.c.search_name.like(_like_prefix(name_prefix), escape="\\"),
                )
            )
        if after:
            statement = statement.where(accounts.c.account_id > after)
        statement = statement.order_by(accounts.c.account_id).limit(limit)
        rows = self._connection.execute(statement).all()
        return [AccountEntry(row.account_id, row.profile) for row in rows]


class AccountReadingWork(SqlTransaction):
    directory: AccountDirectory

    def _bind(self, connection: Connection) -> None:
        self.directory = SqlAccountDirectory(connection)


def account_reading(engine: Engine) -> Callable[[], AccountReadingWork]:
    return lambda: AccountReadingWork(engine)
