"""The accounts' SQL behind their ports: the operators' directory of accounts, and the unit of
work accounts change in (the record, the funding terms, AccountChanged and the kept answers)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.idempotency import SqlReplies
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import profile_messages, tables
from services.wallet.adapters.accounts_sql import OutboxAccountChanges, SqlAccountRecords
from services.wallet.adapters.funding_sql import SqlFundingRecords
from services.wallet.service.commands.accounts import AccountEntry
from services.wallet.service.commands.profiles import Profile
from services.wallet.service.ports.accounts import (
    AccountChanges,
    AccountDirectory,
    AccountRecords,
    FundingRecords,
)


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


class AccountWork(SqlTransaction):
    accounts: AccountRecords
    funding: FundingRecords
    changes: AccountChanges
    created: Replies[Profile]
    updated: Replies[Profile]

    def _bind(self, connection: Connection) -> None:
        self.accounts = SqlAccountRecords(connection)
        self.funding = SqlFundingRecords(connection)
        self.changes = OutboxAccountChanges(connection)
        self.created = SqlReplies(
            connection,
            tables.idempotency_keys,
            profile_messages.created_bytes,
            profile_messages.created_of,
        )
        self.updated = SqlReplies(
            connection,
            tables.idempotency_keys,
            profile_messages.updated_bytes,
            profile_messages.updated_of,
        )


def account_work(engine: Engine) -> Callable[[], AccountWork]:
    return lambda: AccountWork(engine)
