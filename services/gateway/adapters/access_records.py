"""SQL for users' access as the notifications service learns it, inside a unit of work: the
opt-ins to billing emails, and each membership's state published on billing.gateway.users
through the gateway's outbox (UserAccessChanged, the whole state each time; the newest
version wins)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from billing.gateway.v1 import events_pb2
from sqlalchemy.engine import Connection

from services.common import event_streams, outbox
from services.gateway.adapters import tables

STREAM = event_streams.GATEWAY_USERS.name


class SqlAccessRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def billing_emails(self, user_id: str, account_id: str) -> bool:
        o = tables.notification_optins.c
        found = self._connection.execute(
            sa.select(o.billing_emails).where(o.user_id == user_id, o.account_id == account_id)
        ).scalar()
        return bool(found)

    def set_billing_emails(self, user_id: str, account_id: str, enabled: bool, now_ms: int) -> None:
        o = tables.notification_optins.c
        where = (o.user_id == user_id, o.account_id == account_id)
        updated = self._connection.execute(
            tables.notification_optins.update()
            .where(*where)
            .values(billing_emails=enabled, updated_ms=now_ms)
        ).rowcount
        if not updated:
            self._connection.execute(
                sa.insert(tables.notification_optins).values(
                    user_id=user_id,
                    account_id=account_id,
                    billing_emails=enabled,
                    updated_ms=now_ms,
                )
            )

    def written_since(self, since: dt.datetime | None) -> list[tuple[str, str]]:
        m = tables.memberships.c
        query = sa.select(m.user_id, m.account_id, m.updated_at).order_by(m.updated_at)
        if since is not None:
            query = query.where(m.updated_at >= since)
        return [(row.user_id, row.account_id) for row in self._connection.execute(query)]

    def announce(self, keys: Sequence[tuple[str, str]], version: int) -> None:
        if not keys:
            return
        m, u, o = tables.memberships.c, tables.users.c, tables.notification_optins.c
        users = sorted({user_id for user_id, _ in keys})
        rows = self._connection.execute(
            sa.select(m.user_id, m.account_id, m.role, m.billing_access, u.email, o.billing_emails)
            .join(tables.users, u.user_id == m.user_id)
            .outerjoin(
                tables.notification_optins,
                sa.and_(o.user_id == m.user_id, o.account_id == m.account_id),
            )
            .where(m.user_id.in_(users))
        ).all()
        found = {(row.user_id, row.account_id): row for row in rows}
        events = []
        for user_id, account_id in keys:
            row = found.get((user_id, account_id))
            event = events_pb2.UserAccessChanged(
                event_id=uuid.uuid4().hex,
                user_id=user_id,
                account_id=account_id,
                version=version,
                removed=row is None,
            )
            if row is not None:
                event.email = row.email
                event.role = row.role
                event.billing_access = row.billing_access
                event.billing_emails = bool(row.billing_emails)
            event.occur_time.FromNanoseconds(version)
            events.append(outbox.event(STREAM, event.event_id, event))
        outbox.add(self._connection, tables.outbox, events)
