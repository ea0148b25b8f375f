"""One writer per account for changes that read a balance first (credits, days)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.errors import NotFound
from services.wallet.adapters import tables


def lock_account(connection: Connection, account_id: str) -> None:
    """Take the account row's write lock as the transaction's first statement.

    An UPDATE that changes nothing locks the row on PostgreSQL and takes the database's write
    lock on SQLite before anything is read, so two writers never decide on the same reading.
    """
    accounts = tables.accounts
    locked = connection.execute(
        accounts.update()
        .where(accounts.c.account_id == account_id)
        .values(updated_ms=accounts.c.updated_ms)
    )
    if locked.rowcount == 0:
        raise NotFound(f"account {account_id!r} not found")
