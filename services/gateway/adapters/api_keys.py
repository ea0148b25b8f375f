"""SQL for the gateway's API keys, inside a unit of work."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.gateway.adapters import tables
from services.gateway.domain.access import Role
from services.gateway.domain.records import ApiKey

MAX_LISTED = 1000


class SqlApiKeys:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def api_key(self, key_id: str) -> ApiKey | None:
        query = sa.select(tables.api_keys).where(tables.api_keys.c.key_id == key_id)
        row = self._connection.execute(query).mappings().first()
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
        self._connection.execute(tables.api_keys.insert().values(**values))

    def revoke_api_key(self, key_id: str, now: dt.datetime) -> ApiKey | None:
        """Marks the key revoked (once); returns it, or None when there is no such key."""
        table = tables.api_keys
        self._connection.execute(
            table.update()
            .where(table.c.key_id == key_id, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = self._connection.execute(sa.select(table).where(table.c.key_id == key_id))
        found = row.mappings().first()
        return None if found is None else _api_key(found)

    def list_api_keys(self, account_id: str | None) -> list[ApiKey]:
        query = sa.select(tables.api_keys).order_by(tables.api_keys.c.key_id).limit(MAX_LISTED)
        if account_id is not None:
            query = query.where(tables.api_keys.c.account_id == account_id)
        return [_api_key(row) for row in self._connection.execute(query).mappings()]


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
