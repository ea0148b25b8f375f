"""Endpoints and their signing secrets, in SQL."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from services.notifications.adapters import tables
from services.notifications.service.commands import EndpointView
from services.notifications.service.ports import EndpointFields, KeyTaken


class SqlEndpointRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def load(self, account_id: str, endpoint_id: str) -> EndpointView | None:
        e = tables.endpoints.c
        return self._one(e.endpoint_id == endpoint_id, e.account_id == account_id)

    def by_key(self, account_id: str, key: str) -> EndpointView | None:
        e = tables.endpoints.c
        return self._one(e.account_id == account_id, e.idempotency_key == key)

    def page(self, account_id: str, limit: int, offset: int) -> list[EndpointView]:
        e = tables.endpoints.c
        rows = self._connection.execute(
            sa.select(tables.endpoints)
            .where(e.account_id == account_id, e.deleted.is_(False))
            .order_by(e.created_ms, e.endpoint_id)
            .limit(limit)
            .offset(offset)
        ).mappings()
        return [_endpoint(row) for row in rows]

    def count(self, account_id: str) -> int:
        e = tables.endpoints.c
        query = sa.select(sa.func.count()).where(e.account_id == account_id, e.deleted.is_(False))
        return int(self._connection.execute(query).scalar_one())

    def add(self, endpoint: EndpointView, idempotency_key: str | None) -> None:
        try:
            self._connection.execute(
                sa.insert(tables.endpoints).values(
                    endpoint_id=endpoint.endpoint_id,
                    account_id=endpoint.account_id,
                    url=endpoint.url,
                    description=endpoint.description,
                    event_types=",".join(endpoint.event_types),
                    enabled=endpoint.enabled,
                    disabled_reason=endpoint.disabled_reason,
                    failing_since_ms=endpoint.failing_since_ms,
                    idempotency_key=idempotency_key,
                    deleted=False,
                    created_ms=endpoint.created_ms,
                    updated_ms=endpoint.updated_ms,
                )
            )
        except IntegrityError as taken:
            raise KeyTaken(idempotency_key) from taken

    def change(self, endpoint_id: str, fields: EndpointFields, now_ms: int) -> None:
        values: dict[str, Any] = {"updated_ms": now_ms}
        if fields.url is not None:
            values["url"] = fields.url
        if fields.description is not None:
            values["description"] = fields.description
        if fields.event_types is not None:
            values["event_types"] = ",".join(fields.event_types)
        if fields.enabled is not None:
            values["enabled"] = fields.enabled
            if fields.enabled:
                values.update(disabled_reason="", failing_since_ms=None)
        self._connection.execute(
            tables.endpoints.update()
            .where(tables.endpoints.c.endpoint_id == endpoint_id)
            .values(**values)
        )

    def delete(self, endpoint_id: str, now_ms: int) -> None:
        self._connection.execute(
            tables.endpoints.update()
            .where(tables.endpoints.c.endpoint_id == endpoint_id)
            .values(deleted=True, enabled=False, idempotency_key=None, updated_ms=now_ms)
        )

    def add_secret(
        self, endpoint_id: str, secret: str, now_ms: int, rotation_key: str | None = None
    ) -> None:
        self._connection.execute(
            sa.insert(tables.endpoint_secrets).values(
                secret_id=uuid.uuid4().hex,
                endpoint_id=endpoint_id,
                secret=secret,
                created_ms=now_ms,
                expire_ms=None,
                rotation_key=rotation_key,
            )
        )

    def first_secret(self, endpoint_id: str) -> str:
        s = tables.endpoint_secrets.c
        query = (
            sa.select(s.secret).where(s.endpoint_id == endpoint_id).order_by(s.created_ms).limit(1)
        )
        return str(self._connection.execute(query).scalar_one())

    def rotated(self, endpoint_id: str, rotation_key: str) -> tuple[str, int] | None:
        s = tables.endpoint_secrets.c
        row = self._connection.execute(
            sa.select(s.secret, s.created_ms).where(
                s.endpoint_id == endpoint_id, s.rotation_key == rotation_key
            )
        ).first()
        return None if row is None else (row.secret, row.created_ms)

    def expire_secrets(self, endpoint_id: str, expire_ms: int) -> None:
        s = tables.endpoint_secrets.c
        self._connection.execute(
            tables.endpoint_secrets.update()
            .where(
                s.endpoint_id == endpoint_id,
                sa.or_(s.expire_ms.is_(None), s.expire_ms > expire_ms),
            )
            .values(expire_ms=expire_ms)
        )

    def _one(self, *where: Any) -> EndpointView | None:
        row = (
            self._connection.execute(
                sa.select(tables.endpoints).where(*where, tables.endpoints.c.deleted.is_(False))
            )
            .mappings()
            .first()
        )
        return None if row is None else _endpoint(row)


def _endpoint(row: RowMapping) -> EndpointView:
    return EndpointView(
        endpoint_id=row["endpoint_id"],
        account_id=row["account_id"],
        url=row["url"],
        description=row["description"],
        event_types=tuple(t for t in row["event_types"].split(",") if t),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        failing_since_ms=row["failing_since_ms"],
        created_ms=row["created_ms"],
        updated_ms=row["updated_ms"],
    )
