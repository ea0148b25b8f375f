"""SQL access to the gateway's users, memberships and API keys."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.gateway.adapters import tables
from services.gateway.domain.access import Role
from services.gateway.domain.records import ApiKey, Membership, User

MAX_LISTED = 1000


class DuplicateEmail(Exception):
    """Another user already has this email."""


class Store:
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
            "platform": key.platform,
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

    def set_billing_access(
        self, user_id: str, account_id: str, enabled: bool, now: dt.datetime
    ) -> None:
        table = tables.memberships
        with self._engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.user_id == user_id, table.c.account_id == account_id)
                .values(billing_access=enabled, updated_at=now)
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
        platform=row["platform"],
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
