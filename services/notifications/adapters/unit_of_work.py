"""The SQL unit of work: one connection and transaction, with notifications' repositories on it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common.unit_of_work import SqlTransaction
from services.notifications.adapters import tables
from services.notifications.domain.events import Notice
from services.notifications.service.commands import (
    AttemptView,
    DeliveryView,
    EndpointView,
    UserAccess,
)
from services.notifications.service.intake import FAILED, PENDING
from services.notifications.service.ports import (
    DeliveryLog,
    DispatchRecords,
    DueDelivery,
    EmailRecords,
    EndpointFields,
    EndpointRecords,
    EventRecords,
    KeyTaken,
    NewDelivery,
    NewEmail,
    PendingEmail,
    RecordedEvent,
    Subscription,
    UserRecords,
    WebhookTarget,
)

ATTEMPTS_SHOWN = 20
UPDATE_CHUNK = 500


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


class SqlDeliveryLog:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def page(
        self, endpoint_id: str, state: str | None, limit: int, offset: int
    ) -> list[DeliveryView]:
        d = tables.deliveries.c
        query = sa.select(tables.deliveries).where(d.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(d.state == state)
        rows = (
            self._connection.execute(
                query.order_by(d.created_ms.desc(), d.delivery_id).limit(limit).offset(offset)
            )
            .mappings()
            .all()
        )
        return self._with_attempts(rows)

    def load(self, endpoint_id: str, delivery_id: str) -> DeliveryView | None:
        d = tables.deliveries.c
        rows = (
            self._connection.execute(
                sa.select(tables.deliveries).where(
                    d.delivery_id == delivery_id, d.endpoint_id == endpoint_id
                )
            )
            .mappings()
            .all()
        )
        found = self._with_attempts(rows)
        return found[0] if found else None

    def failed_since(self, endpoint_id: str, since_ms: int, limit: int) -> list[str]:
        d = tables.deliveries.c
        chosen = (
            sa.select(d.delivery_id)
            .where(d.endpoint_id == endpoint_id, d.state == FAILED, d.created_ms >= since_ms)
            .order_by(d.created_ms)
            .limit(limit)
        )
        return list(self._connection.execute(chosen).scalars())

    def send_again(
        self, delivery_ids: Sequence[str], now_ms: int, give_up_ms: int, only_failed: bool
    ) -> None:
        d = tables.deliveries.c
        ids = list(delivery_ids)
        for start in range(0, len(ids), UPDATE_CHUNK):
            chunk = d.delivery_id.in_(ids[start : start + UPDATE_CHUNK])
            self._connection.execute(
                tables.deliveries.update()
                .where(chunk, d.state == FAILED if only_failed else sa.true())
                .values(
                    state=PENDING,
                    next_attempt_ms=now_ms,
                    give_up_ms=give_up_ms,
                    updated_ms=now_ms,
                )
            )

    def fail_pending(self, endpoint_id: str, now_ms: int) -> None:
        d = tables.deliveries.c
        self._connection.execute(
            tables.deliveries.update()
            .where(d.endpoint_id == endpoint_id, d.state == PENDING)
            .values(state=FAILED, next_attempt_ms=None, updated_ms=now_ms)
        )

    def _with_attempts(self, rows: Sequence[RowMapping]) -> list[DeliveryView]:
        attempts = self._attempts([row["delivery_id"] for row in rows])
        return [_delivery(row, attempts.get(row["delivery_id"], [])) for row in rows]

    def _attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[AttemptView]]:
        if not delivery_ids:
            return {}
        a = tables.attempts.c
        rows = self._connection.execute(
            sa.select(tables.attempts)
            .where(a.delivery_id.in_(list(delivery_ids)))
            .order_by(a.attempted_ms.desc(), a.attempt_id.desc())
        ).mappings()
        found: dict[str, list[AttemptView]] = {}
        for row in rows:
            shown = found.setdefault(row["delivery_id"], [])
            if len(shown) < ATTEMPTS_SHOWN:
                shown.append(
                    AttemptView(
                        status_code=row["status_code"],
                        latency_ms=row["latency_ms"],
                        response_excerpt=row["response_excerpt"],
                        attempted_ms=row["attempted_ms"],
                    )
                )
        return found


class SqlEventRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def seen(self, event_ids: Sequence[str]) -> set[str]:
        events = tables.events.c
        query = sa.select(events.event_id).where(events.event_id.in_(list(event_ids)))
        return set(self._connection.execute(query).scalars())

    def add(self, notices: Sequence[Notice], received_ms: int) -> None:
        self._connection.execute(
            sa.insert(tables.events),
            [
                {
                    "event_id": notice.event_id,
                    "account_id": notice.account_id,
                    "event_type": notice.event_type,
                    "data": json.dumps(notice.data, sort_keys=True, separators=(",", ":")),
                    "occurred_ms": notice.occurred_ms,
                    "received_ms": received_ms,
                }
                for notice in notices
            ],
        )

    def subscriptions(self, account_ids: Sequence[str]) -> list[Subscription]:
        e = tables.endpoints.c
        rows = self._connection.execute(
            sa.select(e.endpoint_id, e.account_id, e.event_types).where(
                e.account_id.in_(list(account_ids)), e.enabled.is_(True), e.deleted.is_(False)
            )
        ).all()
        return [
            Subscription(
                row.endpoint_id, row.account_id, tuple(t for t in row.event_types.split(",") if t)
            )
            for row in rows
        ]

    def add_deliveries(self, deliveries: Sequence[NewDelivery]) -> None:
        if not deliveries:
            return
        self._connection.execute(
            sa.insert(tables.deliveries),
            [
                {
                    "delivery_id": item.delivery_id,
                    "endpoint_id": item.endpoint_id,
                    "account_id": item.account_id,
                    "event_id": item.event_id,
                    "event_type": item.event_type,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_ms": item.created_ms,
                    "give_up_ms": item.give_up_ms,
                    "created_ms": item.created_ms,
                    "updated_ms": item.created_ms,
                }
                for item in deliveries
            ],
        )

    def add_emails(self, emails: Sequence[NewEmail]) -> None:
        if not emails:
            return
        self._connection.execute(
            sa.insert(tables.emails),
            [
                {
                    "event_id": item.event_id,
                    "account_id": item.account_id,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_ms": item.created_ms,
                    "give_up_ms": item.give_up_ms,
                    "sent_to": "",
                    "problem": "",
                    "subject": item.subject,
                    "body": item.body,
                    "invoice_id": item.invoice_id,
                    "to_address": item.to_address,
                    "created_ms": item.created_ms,
                    "updated_ms": item.created_ms,
                }
                for item in emails
            ],
        )


class SqlEmailRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def due(self, now_ms: int, limit: int) -> list[PendingEmail]:
        m = tables.emails.c
        rows = self._connection.execute(
            sa.select(tables.emails)
            .where(m.state == PENDING, m.next_attempt_ms <= now_ms)
            .order_by(m.next_attempt_ms)
            .limit(limit)
        ).mappings()
        return [
            PendingEmail(
                event_id=row["event_id"],
                account_id=row["account_id"],
                subject=row["subject"],
                body=row["body"],
                invoice_id=row["invoice_id"],
                to_address=row["to_address"],
                sent_to=row["sent_to"],
                attempts=row["attempts"],
                next_attempt_ms=row["next_attempt_ms"],
                give_up_ms=row["give_up_ms"],
            )
            for row in rows
        ]

    def lease(self, email: PendingEmail, until_ms: int) -> bool:
        m = tables.emails.c
        taken = self._connection.execute(
            tables.emails.update()
            .where(
                m.event_id == email.event_id,
                m.state == PENDING,
                m.next_attempt_ms == email.next_attempt_ms,
            )
            .values(next_attempt_ms=until_ms)
        ).rowcount
        return bool(taken)

    def billing_users(self, account_id: str, limit: int) -> list[str]:
        u = tables.users.c
        return list(
            self._connection.execute(
                sa.select(u.email)
                .where(
                    u.account_id == account_id,
                    u.removed.is_(False),
                    u.billing_emails.is_(True),
                    sa.or_(u.billing_access.is_(True), u.role == "owner"),
                )
                .order_by(u.email)
                .limit(limit)
            ).scalars()
        )

    def settle(
        self,
        event_id: str,
        state: str,
        attempts: int,
        next_attempt_ms: int | None,
        sent_to: str,
        problem: str,
        now_ms: int,
    ) -> None:
        self._connection.execute(
            tables.emails.update()
            .where(tables.emails.c.event_id == event_id)
            .values(
                state=state,
                attempts=attempts,
                next_attempt_ms=next_attempt_ms,
                sent_to=sent_to,
                problem=problem,
                updated_ms=now_ms,
            )
        )


class SqlDispatchRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def due(self, now_ms: int, limit: int) -> list[DueDelivery]:
        d = tables.deliveries.c
        rows = self._connection.execute(
            sa.select(tables.deliveries)
            .where(d.state == PENDING, d.next_attempt_ms <= now_ms)
            .order_by(d.next_attempt_ms)
            .limit(limit)
        ).mappings()
        return [
            DueDelivery(
                delivery_id=row["delivery_id"],
                endpoint_id=row["endpoint_id"],
                account_id=row["account_id"],
                event_id=row["event_id"],
                attempts=row["attempts"],
                next_attempt_ms=row["next_attempt_ms"],
                give_up_ms=row["give_up_ms"],
            )
            for row in rows
        ]

    def lease(self, delivery: DueDelivery, until_ms: int) -> bool:
        d = tables.deliveries.c
        taken = self._connection.execute(
            tables.deliveries.update()
            .where(
                d.delivery_id == delivery.delivery_id,
                d.state == PENDING,
                d.next_attempt_ms == delivery.next_attempt_ms,
            )
            .values(next_attempt_ms=until_ms)
        ).rowcount
        return bool(taken)

    def targets(self, endpoint_ids: Sequence[str]) -> dict[str, WebhookTarget]:
        e = tables.endpoints.c
        rows = self._connection.execute(
            sa.select(e.endpoint_id, e.url, e.enabled, e.deleted).where(
                e.endpoint_id.in_(list(endpoint_ids))
            )
        ).all()
        return {
            row.endpoint_id: WebhookTarget(
                row.endpoint_id, row.url, bool(row.enabled) and not row.deleted
            )
            for row in rows
        }

    def events(self, event_ids: Sequence[str]) -> dict[str, RecordedEvent]:
        ev = tables.events.c
        rows = self._connection.execute(
            sa.select(ev.event_id, ev.event_type, ev.occurred_ms, ev.data).where(
                ev.event_id.in_(list(event_ids))
            )
        ).all()
        return {
            row.event_id: RecordedEvent(row.event_id, row.event_type, row.occurred_ms, row.data)
            for row in rows
        }

    def signing_secrets(self, endpoint_ids: Sequence[str], now_ms: int) -> dict[str, list[str]]:
        s = tables.endpoint_secrets.c
        rows = self._connection.execute(
            sa.select(s.endpoint_id, s.secret)
            .where(
                s.endpoint_id.in_(list(endpoint_ids)),
                sa.or_(s.expire_ms.is_(None), s.expire_ms > now_ms),
            )
            .order_by(s.created_ms.desc())
        ).all()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.endpoint_id, []).append(row.secret)
        return found

    def add_attempt(
        self, delivery_id: str, now_ms: int, status_code: int, latency_ms: int, excerpt: str
    ) -> None:
        self._connection.execute(
            sa.insert(tables.attempts).values(
                delivery_id=delivery_id,
                attempted_ms=now_ms,
                status_code=status_code,
                latency_ms=latency_ms,
                response_excerpt=excerpt[:500],
            )
        )

    def settle(
        self,
        delivery_id: str,
        state: str,
        attempts: int | None,
        next_attempt_ms: int | None,
        now_ms: int,
    ) -> None:
        values: dict[str, Any] = {
            "state": state,
            "next_attempt_ms": next_attempt_ms,
            "updated_ms": now_ms,
        }
        if attempts is not None:
            values["attempts"] = attempts
        self._connection.execute(
            tables.deliveries.update()
            .where(tables.deliveries.c.delivery_id == delivery_id)
            .values(**values)
        )

    def clear_failing(self, endpoint_id: str) -> None:
        e = tables.endpoints.c
        self._connection.execute(
            tables.endpoints.update()
            .where(e.endpoint_id == endpoint_id, e.failing_since_ms.is_not(None))
            .values(failing_since_ms=None)
        )

    def mark_failing(self, endpoint_id: str, now_ms: int) -> tuple[int, bool] | None:
        e = tables.endpoints.c
        self._connection.execute(
            tables.endpoints.update()
            .where(e.endpoint_id == endpoint_id, e.failing_since_ms.is_(None))
            .values(failing_since_ms=now_ms)
        )
        row = self._connection.execute(
            sa.select(e.failing_since_ms, e.enabled).where(e.endpoint_id == endpoint_id)
        ).first()
        return None if row is None else (row.failing_since_ms, bool(row.enabled))

    def disable(self, endpoint_id: str, reason: str, now_ms: int) -> None:
        self._connection.execute(
            tables.endpoints.update()
            .where(tables.endpoints.c.endpoint_id == endpoint_id)
            .values(enabled=False, disabled_reason=reason, updated_ms=now_ms)
        )


class SqlUserRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def apply(self, change: UserAccess) -> None:
        u = tables.users.c
        values = {
            "email": change.email[:320],
            "role": change.role[:16],
            "billing_access": change.billing_access,
            "billing_emails": change.billing_emails,
            "removed": change.removed,
            "version": change.version,
        }
        where = (u.user_id == change.user_id, u.account_id == change.account_id)
        found = self._connection.execute(sa.select(u.version).where(*where)).first()
        if found is None:
            self._connection.execute(
                sa.insert(tables.users).values(
                    user_id=change.user_id, account_id=change.account_id, **values
                )
            )
        elif found.version < change.version:
            self._connection.execute(tables.users.update().where(*where).values(**values))


class SqlUnitOfWork(SqlTransaction):
    endpoints: EndpointRecords
    deliveries: DeliveryLog
    users: UserRecords
    events: EventRecords
    emails: EmailRecords
    dispatch: DispatchRecords

    def _bind(self, connection: Connection) -> None:
        self.endpoints = SqlEndpointRecords(connection)
        self.deliveries = SqlDeliveryLog(connection)
        self.users = SqlUserRecords(connection)
        self.events = SqlEventRecords(connection)
        self.emails = SqlEmailRecords(connection)
        self.dispatch = SqlDispatchRecords(connection)


class SqlUnitsOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)


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


def _delivery(row: RowMapping, attempts: Sequence[AttemptView]) -> DeliveryView:
    pending = row["state"] == PENDING
    return DeliveryView(
        delivery_id=row["delivery_id"],
        endpoint_id=row["endpoint_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        state=row["state"],
        attempt_count=row["attempts"],
        created_ms=row["created_ms"],
        next_attempt_ms=row["next_attempt_ms"] if pending else None,
        attempts=tuple(attempts),
    )
