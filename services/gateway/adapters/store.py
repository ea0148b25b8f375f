"""SQL access to the gateway's users, memberships, operators, API keys and sign-in failures."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from billing.gateway.v1 import events_pb2
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import event_streams, outbox
from services.gateway.adapters import tables
from services.gateway.domain.access import Role
from services.gateway.domain.records import ApiKey, Membership, Operator, User
from services.gateway.domain.throttle import FailureState
from services.gateway.service.ports import DuplicateEmail

MAX_LISTED = 1000
SIGN_INS_STREAM = event_streams.GATEWAY_SIGN_INS.name


class Store:
    """The gateway's store in SQL (service.ports.GatewayStore)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def api_key(self, key_id: str) -> ApiKey | None:
        query = sa.select(tables.api_keys).where(tables.api_keys.c.key_id == key_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _api_key(row)

    def add_api_key(self, key: ApiKey) -> None:
        values = {
            "key_id": key.key_id,
            "account_id": key.account_id,
            "operator": key.operator,
            "role": key.role.value if key.role else None,
            "billing_access": key.billing_access,
            "name": key.name,
            "secret_sha256": key.secret_sha256,
        }
        with self._engine.begin() as connection:
            connection.execute(tables.api_keys.insert().values(**values))

    def revoke_api_key(self, key_id: str, now: dt.datetime) -> ApiKey | None:
        """Marks the key revoked (once); returns it, or None when there is no such key."""
        table = tables.api_keys
        with self._engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.key_id == key_id, table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = connection.execute(sa.select(table).where(table.c.key_id == key_id))
            found = row.mappings().first()
        return None if found is None else _api_key(found)

    def list_api_keys(self, account_id: str | None) -> list[ApiKey]:
        query = sa.select(tables.api_keys).order_by(tables.api_keys.c.key_id).limit(MAX_LISTED)
        if account_id is not None:
            query = query.where(tables.api_keys.c.account_id == account_id)
        with self._engine.connect() as connection:
            return [_api_key(row) for row in connection.execute(query).mappings()]

    def user_by_email(self, email: str) -> User | None:
        query = sa.select(tables.users).where(tables.users.c.email == email)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else User(row["user_id"], row["email"], row["password_hash"])

    def add_user(self, user: User) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    tables.users.insert().values(
                        user_id=user.user_id, email=user.email, password_hash=user.password_hash
                    )
                )
        except IntegrityError:
            raise DuplicateEmail(user.email) from None

    def put_membership(self, membership: Membership, now: dt.datetime) -> None:
        table = tables.memberships
        values = {"role": membership.role.value, "billing_access": membership.billing_access}
        key = (table.c.user_id == membership.user_id, table.c.account_id == membership.account_id)
        with self._engine.begin() as connection:
            updated = connection.execute(
                table.update().where(*key).values(updated_at=now, **values)
            )
            if updated.rowcount == 0:
                connection.execute(
                    table.insert().values(
                        user_id=membership.user_id,
                        account_id=membership.account_id,
                        updated_at=now,
                        **values,
                    )
                )

    def membership(self, user_id: str, account_id: str) -> Membership | None:
        query = self._members_query().where(
            tables.memberships.c.user_id == user_id,
            tables.memberships.c.account_id == account_id,
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _membership(row)

    def memberships_of(self, user_id: str) -> list[Membership]:
        query = self._members_query().where(tables.memberships.c.user_id == user_id)
        with self._engine.connect() as connection:
            return [
                _membership(row) for row in connection.execute(query.limit(MAX_LISTED)).mappings()
            ]

    def members(self, account_id: str) -> list[Membership]:
        query = (
            self._members_query()
            .where(tables.memberships.c.account_id == account_id)
            .order_by(tables.users.c.email)
            .limit(MAX_LISTED)
        )
        with self._engine.connect() as connection:
            return [_membership(row) for row in connection.execute(query).mappings()]

    def operator(self, user_id: str) -> Operator | None:
        """The operator, active or removed; None when the user never was one."""
        query = self._operators_query().where(tables.operators.c.user_id == user_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _operator(row)

    def operators(self) -> list[Operator]:
        query = self._operators_query().order_by(tables.users.c.email).limit(MAX_LISTED)
        with self._engine.connect() as connection:
            return [_operator(row) for row in connection.execute(query).mappings()]

    def put_operator(self, user_id: str, name: str, now: dt.datetime) -> None:
        """Make the user an operator (again, when removed before)."""
        table = tables.operators
        with self._engine.begin() as connection:
            updated = connection.execute(
                table.update()
                .where(table.c.user_id == user_id)
                .values(name=name, removed_at=None, added_at=now)
            )
            if updated.rowcount == 0:
                connection.execute(table.insert().values(user_id=user_id, name=name, added_at=now))

    def remove_operator(self, user_id: str, now: dt.datetime) -> bool:
        table = tables.operators
        with self._engine.begin() as connection:
            removed = connection.execute(
                table.update()
                .where(table.c.user_id == user_id, table.c.removed_at.is_(None))
                .values(removed_at=now)
            )
        return bool(removed.rowcount)

    def failures(self, subject: str) -> FailureState | None:
        table = tables.sign_in_failures
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.subject == subject)).first()
        return None if row is None else _failure(row._mapping)

    def record_failure(
        self, subject: str, update: Callable[[FailureState | None], FailureState]
    ) -> tuple[FailureState | None, FailureState]:
        """Apply `update` to the subject's failures under a row lock; (before, after)."""
        table = tables.sign_in_failures
        for _attempt in range(3):
            try:
                with self._engine.begin() as connection:
                    row = connection.execute(
                        sa.select(table).where(table.c.subject == subject).with_for_update()
                    ).first()
                    before = None if row is None else _failure(row._mapping)
                    after = update(before)
                    values = {
                        "failures": after.failures,
                        "last_failure_s": after.last_failure_s,
                        "locked_until_s": after.locked_until_s,
                    }
                    if row is None:
                        connection.execute(table.insert().values(subject=subject, **values))
                    else:
                        connection.execute(
                            table.update().where(table.c.subject == subject).values(**values)
                        )
                return before, after
            except IntegrityError:
                continue  # another attempt inserted the row first: read it again
        raise RuntimeError(f"could not record a sign-in failure for {subject}")

    def forget_failures(self, subject: str) -> None:
        table = tables.sign_in_failures
        with self._engine.begin() as connection:
            connection.execute(table.delete().where(table.c.subject == subject))

    def add_lock(
        self,
        subject: str,
        user: User | None,
        failures: int,
        locked_at: dt.datetime,
        locked_until: dt.datetime,
    ) -> str:
        """Record a lock; a user's is published (in the same transaction) for the
        notifications service to email them, once: the event's id is the lock's."""
        lock_id = uuid.uuid4().hex
        with self._engine.begin() as connection:
            connection.execute(
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
                    connection, tables.outbox, [outbox.event(SIGN_INS_STREAM, lock_id, event)]
                )
        return lock_id

    @staticmethod
    def _operators_query() -> sa.Select:  # type: ignore[type-arg]
        o, u = tables.operators, tables.users
        return sa.select(o.c.user_id, o.c.name, o.c.removed_at, u.c.email).join(
            u, u.c.user_id == o.c.user_id
        )

    def delete_membership(self, user_id: str, account_id: str) -> None:
        table = tables.memberships
        with self._engine.begin() as connection:
            connection.execute(
                table.delete().where(table.c.user_id == user_id, table.c.account_id == account_id)
            )

    @staticmethod
    def _members_query() -> sa.Select:  # type: ignore[type-arg]
        m, u = tables.memberships, tables.users
        return sa.select(m.c.user_id, m.c.account_id, m.c.role, m.c.billing_access, u.c.email).join(
            u, u.c.user_id == m.c.user_id
        )


def _api_key(row: RowMapping) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        account_id=row["account_id"],
        operator=row["operator"],
        role=Role(row["role"]) if row["role"] else None,
        billing_access=row["billing_access"],
        name=row["name"],
        secret_sha256=row["secret_sha256"],
        revoked=row["revoked_at"] is not None,
    )


def _membership(row: RowMapping) -> Membership:
    return Membership(
        user_id=row["user_id"],
        account_id=row["account_id"],
        role=Role(row["role"]),
        billing_access=row["billing_access"],
        email=row["email"],
    )


def _operator(row: RowMapping) -> Operator:
    return Operator(
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        active=row["removed_at"] is None,
    )


def _failure(row: RowMapping) -> FailureState:
    return FailureState(row["failures"], row["last_failure_s"], row["locked_until_s"])
