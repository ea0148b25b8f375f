"""SQL for failed sign-ins and the locks they led to, inside a unit of work; a user's lock is
published through the gateway's outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from billing.gateway.v1 import events_pb2
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import event_streams, outbox
from services.gateway.adapters import tables
from services.gateway.domain.records import User
from services.gateway.domain.throttle import FailureState
from services.gateway.service.ports.store import FailuresRaced

SIGN_INS_STREAM = event_streams.GATEWAY_SIGN_INS.name


class SqlSignIns:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def failures(self, subject: str) -> FailureState | None:
        table = tables.sign_in_failures
        row = self._connection.execute(sa.select(table).where(table.c.subject == subject)).first()
        return None if row is None else _failure(row._mapping)

    def failures_to_update(self, subject: str) -> FailureState | None:
        table = tables.sign_in_failures
        row = self._connection.execute(
            sa.select(table).where(table.c.subject == subject).with_for_update()
        ).first()
        return None if row is None else _failure(row._mapping)

    def put_failures(self, subject: str, state: FailureState, first: bool) -> None:
        table = tables.sign_in_failures
        values = {
            "failures": state.failures,
            "last_failure_s": state.last_failure_s,
            "locked_until_s": state.locked_until_s,
        }
        if not first:
            self._connection.execute(
                table.update().where(table.c.subject == subject).values(**values)
            )
            return
        try:
            self._connection.execute(table.insert().values(subject=subject, **values))
        except IntegrityError:
            raise FailuresRaced(subject) from None

    def forget_failures(self, subject: str) -> None:
        table = tables.sign_in_failures
        self._connection.execute(table.delete().where(table.c.subject == subject))

    def add_lock(
        self,
        subject: str,
        user: User | None,
        failures: int,
        locked_at: dt.datetime,
        locked_until: dt.datetime,
    ) -> str:
        """Record a lock; a user's is published for the notifications service to email them,
        once: the event's id is the lock's."""
        lock_id = uuid.uuid4().hex
        self._connection.execute(
            tables.sign_in_locks.insert().values(
                lock_id=lock_id,
                subject=subject,
                user_id=user.user_id if user else None,
                email=user.email if user else None,
                failures=failures,
                locked_at=locked_at,
                locked_until=locked_until,
                notified_at=locked_at if user else None,
            )
        )
        if user is not None:
            event = events_pb2.SignInLocked(
                event_id=lock_id, user_id=user.user_id, email=user.email, failures=failures
            )
            event.locked_until.FromDatetime(locked_until)
            event.occur_time.FromDatetime(locked_at)
            outbox.add(
                self._connection, tables.outbox, [outbox.event(SIGN_INS_STREAM, lock_id, event)]
            )
        return lock_id


def _failure(row: RowMapping) -> FailureState:
    return FailureState(row["failures"], row["last_failure_s"], row["locked_until_s"])
