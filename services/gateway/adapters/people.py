"""SQL for the gateway's users, their memberships of accounts, and operators, inside a unit of
work."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from services.gateway.adapters import tables
from services.gateway.domain.access import Role
from services.gateway.domain.records import Membership, Operator, User
from services.gateway.service.ports.store import DuplicateEmail

MAX_LISTED = 1000


class SqlPeople:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def user_by_email(self, email: str) -> User | None:
        query = sa.select(tables.users).where(tables.users.c.email == email)
        row = self._connection.execute(query).mappings().first()
        return None if row is None else User(row["user_id"], row["email"], row["password_hash"])

    def add_user(self, user: User) -> None:
        try:
            self._connection.execute(
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
        updated = self._connection.execute(
            table.update().where(*key).values(updated_at=now, **values)
        )
        if updated.rowcount == 0:
            self._connection.execute(
                table.insert().values(
                    user_id=membership.user_id,
                    account_id=membership.account_id,
                    updated_at=now,
                    **values,
                )
            )

    def membership(self, user_id: str, account_id: str) -> Membership | None:
        query = _members_query().where(
            tables.memberships.c.user_id == user_id,
            tables.memberships.c.account_id == account_id,
        )
        row = self._connection.execute(query).mappings().first()
        return None if row is None else _membership(row)

    def memberships_of(self, user_id: str) -> list[Membership]:
        query = _members_query().where(tables.memberships.c.user_id == user_id)
        rows = self._connection.execute(query.limit(MAX_LISTED)).mappings()
        return [_membership(row) for row in rows]

    def members(self, account_id: str) -> list[Membership]:
        query = (
            _members_query()
            .where(tables.memberships.c.account_id == account_id)
            .order_by(tables.users.c.email)
            .limit(MAX_LISTED)
        )
        return [_membership(row) for row in self._connection.execute(query).mappings()]

    def delete_membership(self, user_id: str, account_id: str) -> None:
        table = tables.memberships
        self._connection.execute(
            table.delete().where(table.c.user_id == user_id, table.c.account_id == account_id)
        )

    def operator(self, user_id: str) -> Operator | None:
        """The operator, active or removed; None when the user never was one."""
        query = _operators_query().where(tables.operators.c.user_id == user_id)
        row = self._connection.execute(query).mappings().first()
        return None if row is None else _operator(row)

    def operators(self) -> list[Operator]:
        query = _operators_query().order_by(tables.users.c.email).limit(MAX_LISTED)
        return [_operator(row) for row in self._connection.execute(query).mappings()]

    def put_operator(self, user_id: str, name: str, now: dt.datetime) -> None:
        """Make the user an operator (again, when removed before)."""
        table = tables.operators
        updated = self._connection.execute(
            table.update()
            .where(table.c.user_id == user_id)
            .values(name=name, removed_at=None, added_at=now)
        )
        if updated.rowcount == 0:
            self._connection.execute(
                table.insert().values(user_id=user_id, name=name, added_at=now)
            )

    def remove_operator(self, user_id: str, now: dt.datetime) -> bool:
        table = tables.operators
        removed = self._connection.execute(
            table.update()
            .where(table.c.user_id == user_id, table.c.removed_at.is_(None))
            .values(removed_at=now)
        )
        return bool(removed.rowcount)


def _members_query() -> sa.Select:  # type: ignore[type-arg]
    m, u = tables.memberships, tables.users
    return sa.select(m.c.user_id, m.c.account_id, m.c.role, m.c.billing_access, u.c.email).join(
        u, u.c.user_id == m.c.user_id
    )


def _operators_query() -> sa.Select:  # type: ignore[type-arg]
    o, u = tables.operators, tables.users
    return sa.select(o.c.user_id, o.c.name, o.c.removed_at, u.c.email).join(
        u, u.c.user_id == o.c.user_id
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
