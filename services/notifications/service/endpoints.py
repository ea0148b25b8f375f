"""Webhook endpoints of an account: create, read, change, remove, rotate the secret; the
delivery log and replays. Another account's endpoint is not found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import validation
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.idempotency import check_key
from services.notifications.adapters import tables
from services.notifications.domain.events import EVENT_TYPES
from services.notifications.domain.retry import Backoff
from services.notifications.domain.targets import TargetRefused, checked_url
from services.notifications.service import ids
from services.notifications.service.commands import (
    AttemptView,
    CreatedEndpoint,
    DeliveryPage,
    DeliveryQuery,
    DeliveryRef,
    DeliveryView,
    EndpointChange,
    EndpointPage,
    EndpointRef,
    EndpointView,
    FailedReplay,
    NewEndpoint,
    PageRequest,
    RotatedSecret,
    SecretRotation,
)
from services.notifications.service.intake import FAILED, PENDING, SUCCEEDED
from services.notifications.service.secrets import add_secret

MAX_ENDPOINTS_PER_ACCOUNT = 50
MAX_OVERLAP_S = 7 * 86_400
DEFAULT_OVERLAP_S = 86_400
MAX_REPLAY = 10_000
MAX_REPLAY_AGE_MS = 30 * 86_400_000
ATTEMPTS_SHOWN = 20
DELIVERY_STATES = (PENDING, SUCCEEDED, FAILED)


class Endpoints:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        backoff: Backoff,
        allow_private: bool,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._backoff = backoff
        self._allow_private = allow_private
        self.wake = wake

    # Endpoints

    def create(self, request: NewEndpoint) -> CreatedEndpoint:
        account_id = validation.require_id(request.account_id, "account_id")
        url = self._url(request.url)
        description = validation.text(request.description, "description", max_length=500)
        event_types = _event_types(request.event_types)
        key = request.idempotency_key or None
        if key is not None:
            check_key(key)
        now_ms = self._clock.now_ms()
        e = tables.endpoints.c
        if key is not None:
            with self._engine.connect() as connection:
                first = _by_key(connection, account_id, key)
            if first is not None:
                return self._created_again(first)
        endpoint_id = ids.new_id("ep")
        try:
            with self._engine.begin() as connection:
                count = connection.execute(
                    sa.select(sa.func.count()).where(
                        e.account_id == account_id, e.deleted.is_(False)
                    )
                ).scalar_one()
                if count >= MAX_ENDPOINTS_PER_ACCOUNT:
                    raise InvalidArgument(
                        "url", f"an account has at most {MAX_ENDPOINTS_PER_ACCOUNT} endpoints"
                    )
                connection.execute(
                    sa.insert(tables.endpoints).values(
                        endpoint_id=endpoint_id,
                        account_id=account_id,
                        url=url,
                        description=description,
                        event_types=",".join(event_types),
                        enabled=True,
                        disabled_reason="",
                        failing_since_ms=None,
                        idempotency_key=key,
                        deleted=False,
                        created_ms=now_ms,
                        updated_ms=now_ms,
                    )
                )
                secret = add_secret(connection, endpoint_id, now_ms)
        except IntegrityError:
            with self._engine.connect() as connection:
                first = _by_key(connection, account_id, key or "")
            if first is None:
                raise
            return self._created_again(first)
        return CreatedEndpoint(_view(self._load(account_id, endpoint_id)), secret)

    def _created_again(self, row: RowMapping) -> CreatedEndpoint:
        s = tables.endpoint_secrets.c
        with self._engine.connect() as connection:
            secret = connection.execute(
                sa.select(s.secret)
                .where(s.endpoint_id == row["endpoint_id"])
                .order_by(s.created_ms)
                .limit(1)
            ).scalar_one()
        return CreatedEndpoint(_view(row), secret)

    def list(self, account_id: str, page: PageRequest) -> EndpointPage:
        account_id = validation.require_id(account_id, "account_id")
        limit, offset = validation.page(page.page_size, page.page_token)
        e = tables.endpoints.c
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.endpoints)
                    .where(e.account_id == account_id, e.deleted.is_(False))
                    .order_by(e.created_ms, e.endpoint_id)
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
        return EndpointPage(
            endpoints=tuple(_view(row) for row in rows),
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def get(self, request: EndpointRef) -> EndpointView:
        return _view(self._load(request.account_id, request.endpoint_id))

    def update(self, request: EndpointChange) -> EndpointView:
        row = self._load(request.account_id, request.endpoint_id)
        values: dict[str, Any] = {}
        if request.url is not None:
            values["url"] = self._url(request.url)
        if request.description is not None:
            values["description"] = validation.text(
                request.description, "description", max_length=500
            )
        if request.event_types is not None:
            values["event_types"] = ",".join(_event_types(request.event_types))
        if request.enabled is not None:
            values["enabled"] = request.enabled
            if request.enabled:
                values.update(disabled_reason="", failing_since_ms=None)
        if values:
            values["updated_ms"] = self._clock.now_ms()
            with self._engine.begin() as connection:
                connection.execute(
                    tables.endpoints.update()
                    .where(tables.endpoints.c.endpoint_id == row["endpoint_id"])
                    .values(**values)
                )
        return _view(self._load(request.account_id, request.endpoint_id))

    def delete(self, request: EndpointRef) -> None:
        row = self._load(request.account_id, request.endpoint_id)
        now_ms = self._clock.now_ms()
        d = tables.deliveries.c
        with self._engine.begin() as connection:
            connection.execute(
                tables.endpoints.update()
                .where(tables.endpoints.c.endpoint_id == row["endpoint_id"])
                .values(deleted=True, enabled=False, idempotency_key=None, updated_ms=now_ms)
            )
            connection.execute(
                tables.deliveries.update()
                .where(d.endpoint_id == row["endpoint_id"], d.state == PENDING)
                .values(state=FAILED, next_attempt_ms=None, updated_ms=now_ms)
            )

    def rotate(self, request: SecretRotation) -> RotatedSecret:
        row = self._load(request.account_id, request.endpoint_id)
        overlap_s = request.overlap_seconds or DEFAULT_OVERLAP_S
        if not 0 <= request.overlap_seconds <= MAX_OVERLAP_S:
            raise InvalidArgument("overlap_seconds", f"must be 0 to {MAX_OVERLAP_S}")
        key = request.idempotency_key or None
        if key is not None:
            check_key(key)
        s = tables.endpoint_secrets.c
        now_ms = self._clock.now_ms()
        with self._engine.begin() as connection:
            if key is not None:
                again = connection.execute(
                    sa.select(s.secret, s.created_ms).where(
                        s.endpoint_id == row["endpoint_id"], s.rotation_key == key
                    )
                ).first()
                if again is not None:
                    return self._rotated(row, again.secret, again.created_ms + overlap_s * 1000)
            expire_ms = now_ms + overlap_s * 1000
            connection.execute(
                tables.endpoint_secrets.update()
                .where(
                    s.endpoint_id == row["endpoint_id"],
                    sa.or_(s.expire_ms.is_(None), s.expire_ms > expire_ms),
                )
                .values(expire_ms=expire_ms)
            )
            secret = add_secret(connection, row["endpoint_id"], now_ms, key)
        return self._rotated(row, secret, expire_ms)

    def _rotated(self, row: RowMapping, secret: str, expire_ms: int) -> RotatedSecret:
        return RotatedSecret(_view(row), secret, expire_ms)

    # Deliveries

    def deliveries(self, request: DeliveryQuery) -> DeliveryPage:
        endpoint = self._load(request.account_id, request.endpoint_id)
        limit, offset = validation.page(request.page.page_size, request.page.page_token)
        d = tables.deliveries.c
        query = sa.select(tables.deliveries).where(d.endpoint_id == endpoint["endpoint_id"])
        if request.state is not None:
            if request.state not in DELIVERY_STATES:
                raise InvalidArgument("state", "unknown delivery state")
            query = query.where(d.state == request.state)
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    query.order_by(d.created_ms.desc(), d.delivery_id).limit(limit).offset(offset)
                )
                .mappings()
                .all()
            )
            attempts = _attempts(connection, [row["delivery_id"] for row in rows])
        return DeliveryPage(
            deliveries=tuple(_delivery(row, attempts.get(row["delivery_id"], [])) for row in rows),
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def delivery(self, request: DeliveryRef) -> DeliveryView:
        row = self._delivery_row(request.account_id, request.endpoint_id, request.delivery_id)
        with self._engine.connect() as connection:
            attempts = _attempts(connection, [row["delivery_id"]])
        return _delivery(row, attempts.get(row["delivery_id"], []))

    def replay(self, request: DeliveryRef) -> DeliveryView:
        row = self._delivery_row(request.account_id, request.endpoint_id, request.delivery_id)
        self._enabled(request.account_id, request.endpoint_id)
        now_ms = self._clock.now_ms()
        d = tables.deliveries.c
        with self._engine.begin() as connection:
            connection.execute(
                tables.deliveries.update()
                .where(d.delivery_id == row["delivery_id"])
                .values(**self._again(now_ms))
            )
        self.wake()
        return self.delivery(request)

    def replay_failed(self, request: FailedReplay) -> int:
        """Failed deliveries since a time sent again; how many."""
        endpoint = self._enabled(request.account_id, request.endpoint_id)
        since_ms = request.since_ms
        now_ms = self._clock.now_ms()
        if since_ms < now_ms - MAX_REPLAY_AGE_MS:
            raise InvalidArgument("since_time", "at most 30 days back")
        d = tables.deliveries.c
        with self._engine.begin() as connection:
            chosen = (
                sa.select(d.delivery_id)
                .where(
                    d.endpoint_id == endpoint["endpoint_id"],
                    d.state == FAILED,
                    d.created_ms >= since_ms,
                )
                .order_by(d.created_ms)
                .limit(MAX_REPLAY)
            )
            ids_ = list(connection.execute(chosen).scalars())
            for start in range(0, len(ids_), 500):
                connection.execute(
                    tables.deliveries.update()
                    .where(d.delivery_id.in_(ids_[start : start + 500]), d.state == FAILED)
                    .values(**self._again(now_ms))
                )
        self.wake()
        return len(ids_)

    def _again(self, now_ms: int) -> dict[str, Any]:
        return {
            "state": PENDING,
            "next_attempt_ms": now_ms,
            "give_up_ms": now_ms + self._backoff.period_ms,
            "updated_ms": now_ms,
        }

    # Reading

    def _url(self, url: str) -> str:
        try:
            checked_url(url, self._allow_private)
        except TargetRefused as refused:
            raise InvalidArgument("url", f"{refused}: {validation.quoted(url)}") from None
        return url

    def _load(self, account_id: str, endpoint_id: str) -> RowMapping:
        account_id = validation.require_id(account_id, "account_id")
        endpoint_id = validation.require_id(endpoint_id, "endpoint_id")
        e = tables.endpoints.c
        with self._engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(tables.endpoints).where(
                        e.endpoint_id == endpoint_id,
                        e.account_id == account_id,
                        e.deleted.is_(False),
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"endpoint {validation.quoted(endpoint_id)} not found", "endpoint_id")
        return row

    def _enabled(self, account_id: str, endpoint_id: str) -> RowMapping:
        row = self._load(account_id, endpoint_id)
        if not row["enabled"]:
            raise FailedPrecondition("the endpoint is disabled: enable it first", "endpoint_id")
        return row

    def _delivery_row(self, account_id: str, endpoint_id: str, delivery_id: str) -> RowMapping:
        endpoint = self._load(account_id, endpoint_id)
        delivery_id = validation.require_id(delivery_id, "delivery_id")
        d = tables.deliveries.c
        with self._engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(tables.deliveries).where(
                        d.delivery_id == delivery_id, d.endpoint_id == endpoint["endpoint_id"]
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"delivery {validation.quoted(delivery_id)} not found", "delivery_id")
        return row


def _by_key(connection: Connection, account_id: str, key: str) -> RowMapping | None:
    e = tables.endpoints.c
    return (
        connection.execute(
            sa.select(tables.endpoints).where(
                e.account_id == account_id, e.idempotency_key == key, e.deleted.is_(False)
            )
        )
        .mappings()
        .first()
    )


def _event_types(given: Sequence[str]) -> list[str]:
    chosen: list[str] = []
    for position, name in enumerate(given):
        if name not in EVENT_TYPES:
            raise InvalidArgument(
                f"event_types[{position}]", f"unknown event type {validation.quoted(name)}"
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


def _attempts(connection: Connection, delivery_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
    if not delivery_ids:
        return {}
    a = tables.attempts.c
    rows = (
        connection.execute(
            sa.select(tables.attempts)
            .where(a.delivery_id.in_(list(delivery_ids)))
            .order_by(a.attempted_ms.desc(), a.attempt_id.desc())
        )
        .mappings()
        .all()
    )
    found: dict[str, list[RowMapping]] = {}
    for row in rows:
        shown = found.setdefault(row["delivery_id"], [])
        if len(shown) < ATTEMPTS_SHOWN:
            shown.append(row)
    return found


def _view(row: RowMapping) -> EndpointView:
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


def _delivery(row: RowMapping, attempts: Sequence[RowMapping]) -> DeliveryView:
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
        attempts=tuple(
            AttemptView(
                status_code=attempt["status_code"],
                latency_ms=attempt["latency_ms"],
                response_excerpt=attempt["response_excerpt"],
                attempted_ms=attempt["attempted_ms"],
            )
            for attempt in attempts
        ),
    )
