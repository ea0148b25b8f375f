"""The gateway's users, as its stream tells them: the newest version of each membership."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.notifications.adapters import tables


@dataclass(frozen=True)
class UserAccess:
    """One version of a user's membership of an account."""

    user_id: str
    account_id: str
    email: str
    role: str
    billing_access: bool
    billing_emails: bool
    removed: bool
    version: int


class UserCopy:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, changes: Sequence[UserAccess]) -> None:
        """Keep each membership's newest version; older or repeated versions change nothing."""
        if not changes:
            return
        u = tables.users.c
        with self._engine.begin() as connection:
            for change in changes:
                values = {
                    "email": change.email[:320],
                    "role": change.role[:16],
                    "billing_access": change.billing_access,
                    "billing_emails": change.billing_emails,
                    "removed": change.removed,
                    "version": change.version,
                }
                where = (u.user_id == change.user_id, u.account_id == change.account_id)
                found = connection.execute(sa.select(u.version).where(*where)).first()
                if found is None:
                    connection.execute(
                        sa.insert(tables.users).values(
                            user_id=change.user_id, account_id=change.account_id, **values
                        )
                    )
                elif found.version < change.version:
                    connection.execute(tables.users.update().where(*where).values(**values))
