"""The gateway's users, as its stream tells them: the newest version of each membership."""

from __future__ import annotations

import sqlalchemy as sa
from billing.gateway.v1 import events_pb2
from sqlalchemy.engine import Engine

from services.common.streams import Entry
from services.notifications.adapters import tables

USER_ACCESS_TYPE = events_pb2.UserAccessChanged.DESCRIPTOR.full_name


class UserCopy:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def handle(self, entries: list[Entry]) -> None:
        changes = [
            events_pb2.UserAccessChanged.FromString(fields[b"event"])
            for _entry_id, fields in entries
            if fields.get(b"type", b"").decode() == USER_ACCESS_TYPE and b"event" in fields
        ]
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
