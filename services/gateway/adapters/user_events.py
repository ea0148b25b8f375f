"""The gateway's users as the notifications service needs them: each membership's role, billing
access, email and opt-in to billing emails, published on billing.gateway.users through the
gateway's outbox (UserAccessChanged, the whole state each time; the newest version wins).

Published when a teammate changes, when a user changes their opt-in (in the same transaction),
and by a resync of what changed since the last one (memberships written elsewhere, e.g. by
`billing user add`; at start, every membership).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import sqlalchemy as sa
from billing.gateway.v1 import events_pb2
from sqlalchemy.engine import Connection, Engine

from services.common import event_streams, outbox
from services.gateway.adapters import tables

STREAM = event_streams.GATEWAY_USERS.name
RESYNC_BATCH = 500


class UserEvents:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._synced_to: dt.datetime | None = None

    def billing_emails(self, user_id: str, account_id: str) -> bool:
        o = tables.notification_optins.c
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(o.billing_emails).where(o.user_id == user_id, o.account_id == account_id)
            ).scalar()
        return bool(found)

    def set_billing_emails(self, user_id: str, account_id: str, enabled: bool) -> None:
        o = tables.notification_optins.c
        now_ms = time.time_ns() // 1_000_000
        with self._engine.begin() as connection:
            where = (o.user_id == user_id, o.account_id == account_id)
            updated = connection.execute(
                tables.notification_optins.update()
                .where(*where)
                .values(billing_emails=enabled, updated_ms=now_ms)
            ).rowcount
            if not updated:
                connection.execute(
                    sa.insert(tables.notification_optins).values(
                        user_id=user_id,
                        account_id=account_id,
                        billing_emails=enabled,
                        updated_ms=now_ms,
                    )
                )
            self._announce(connection, [(user_id, account_id)])

    def changed(self, user_id: str, account_id: str) -> None:
        """A membership changed (or went): announce what it is now."""
        with self._engine.begin() as connection:
            self._announce(connection, [(user_id, account_id)])

    def resync(self) -> int:
        """Announce the memberships written since the last resync (all, the first time)."""
        m = tables.memberships.c
        started = dt.datetime.now(dt.UTC)
        query = sa.select(m.user_id, m.account_id, m.updated_at).order_by(m.updated_at)
        if self._synced_to is not None:
            query = query.where(m.updated_at >= self._synced_to - dt.timedelta(seconds=5))
        with self._engine.begin() as connection:
            keys = [(row.user_id, row.account_id) for row in connection.execute(query)]
            for start in range(0, len(keys), RESYNC_BATCH):
                self._announce(connection, keys[start : start + RESYNC_BATCH])
        self._synced_to = started
        return 0  # the loop waits its interval either way

    def _announce(self, connection: Connection, keys: list[tuple[str, str]]) -> None:
        if not keys:
            return
        m, u, o = tables.memberships.c, tables.users.c, tables.notification_optins.c
        users = sorted({user_id for user_id, _ in keys})
        rows = connection.execute(
            sa.select(m.user_id, m.account_id, m.role, m.billing_access, u.email, o.billing_emails)
            .join(tables.users, u.user_id == m.user_id)
            .outerjoin(
                tables.notification_optins,
                sa.and_(o.user_id == m.user_id, o.account_id == m.account_id),
            )
            .where(m.user_id.in_(users))
        ).all()
        found = {(row.user_id, row.account_id): row for row in rows}
        version = time.time_ns()
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
        outbox.add(connection, tables.outbox, events)
