"""The gateway's users as notifications keeps them, in SQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.adapters import tables
from services.notifications.service.commands import UserAccess


class SqlUserRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def apply(self, change: UserAccess) -> None:
        u = tables.users.c
        values = {
            "email": change.email[:320],
            "role": change.role[:16],
            "billing_access": change.billing_access,
            "billing_emails": change.billing_emails,
            "removed": change.removed,
            "version": change.version,
        }
        where = (u.user_id == change.user_id, u.account_id == change.account_id)
        found = self._connection.execute(sa.select(u.version).where(*where)).first()
        if found is None:
            self._connection.execute(
                sa.insert(tables.users).values(
                    user_id=change.user_id, account_id=change.account_id, **values
                )
            )
        elif found.version < change.version:
            self._connection.execute(tables.users.update().where(*where).values(**values))
