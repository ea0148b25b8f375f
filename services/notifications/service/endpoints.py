"""Webhook endpoints of an account: create, read, change, remove, rotate the secret; the
delivery log and replays. Another account's endpoint is not found."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.common import validation
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.idempotency import check_key
from services.notifications.domain.events import EVENT_TYPES
from services.notifications.domain.retry import RetrySchedule
from services.notifications.domain.targets import TargetRefused, checked_url
from services.notifications.service import ids
from services.notifications.service.commands import (
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
from services.notifications.service.ports import (
    EndpointFields,
    KeyTaken,
    UnitOfWork,
    UnitsOfWork,
)
from services.notifications.service.secrets import new_secret

MAX_ENDPOINTS_PER_ACCOUNT = 50
MAX_OVERLAP_S = 7 * 86_400
DEFAULT_OVERLAP_S = 86_400
MAX_REPLAY = 10_000
MAX_REPLAY_AGE_MS = 30 * 86_400_000
DELIVERY_STATES = (PENDING, SUCCEEDED, FAILED)


class Endpoints:
    def __init__(
        self,
        units: UnitsOfWork,
        clock: Clock,
        retries: RetrySchedule,
        allow_private: bool,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._retries = retries
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
            again = self._created_again(account_id, key)
            if again is not None:
                return again
        now_ms = self._clock.now_ms()
        endpoint = EndpointView(
            endpoint_id=ids.new_id("ep"),
            account_id=account_id,
            url=url,
            description=description,
            event_types=tuple(event_types),
            enabled=True,
            disabled_reason="",
            failing_since_ms=None,
            created_ms=now_ms,
            updated_ms=now_ms,
        )
        secret = new_secret()
        try:
            with self._units() as uow:
                if uow.endpoints.count(account_id) >= MAX_ENDPOINTS_PER_ACCOUNT:
                    raise InvalidArgument(
                        "url", f"an account has at most {MAX_ENDPOINTS_PER_ACCOUNT} endpoints"
                    )
                uow.endpoints.add(endpoint, key)
                uow.endpoints.add_secret(endpoint.endpoint_id, secret, now_ms)
                uow.commit()
        except KeyTaken:
            again = self._created_again(account_id, key or "")
            if again is None:
                raise
            return again
        return CreatedEndpoint(endpoint, secret)

    def _created_again(self, account_id: str, key: str) -> CreatedEndpoint | None:
        with self._units() as uow:
            first = uow.endpoints.by_key(account_id, key)
            if first is None:
                return None
            return CreatedEndpoint(first, uow.endpoints.first_secret(first.endpoint_id))

    def list(self, account_id: str, page: PageRequest) -> EndpointPage:
        account_id = validation.require_id(account_id, "account_id")
        limit, offset = validation.page(page.page_size, page.page_token)
        with self._units() as uow:
            found = uow.endpoints.page(account_id, limit, offset)
        return EndpointPage(
            endpoints=tuple(found),
            next_page_token=validation.next_page_token(offset, limit, len(found)),
        )

    def get(self, request: EndpointRef) -> EndpointView:
        with self._units() as uow:
            return _load(uow, request.account_id, request.endpoint_id)

    def update(self, request: EndpointChange) -> EndpointView:
        fields = EndpointFields(
            url=None if request.url is None else self._url(request.url),
            description=(
                None
                if request.description is None
                else validation.text(request.description, "description", max_length=500)
            ),
            event_types=(
                None if request.event_types is None else tuple(_event_types(request.event_types))
            ),
            enabled=request.enabled,
        )
        with self._units() as uow:
            endpoint = _load(uow, request.account_id, request.endpoint_id)
            if fields == EndpointFields():
                return endpoint
            uow.endpoints.change(endpoint.endpoint_id, fields, self._clock.now_ms())
            changed = _load(uow, request.account_id, request.endpoint_id)
            uow.commit()
        return changed

    def delete(self, request: EndpointRef) -> None:
        now_ms = self._clock.now_ms()
        with self._units() as uow:
            endpoint = _load(uow, request.account_id, request.endpoint_id)
            uow.endpoints.delete(endpoint.endpoint_id, now_ms)
            uow.deliveries.fail_pending(endpoint.endpoint_id, now_ms)
            uow.commit()

    def rotate(self, request: SecretRotation) -> RotatedSecret:
        if not 0 <= request.overlap_seconds <= MAX_OVERLAP_S:
            raise InvalidArgument("overlap_seconds", f"must be 0 to {MAX_OVERLAP_S}")
        overlap_ms = (request.overlap_seconds or DEFAULT_OVERLAP_S) * 1000
        key = request.idempotency_key or None
        if key is not None:
            check_key(key)
        now_ms = self._clock.now_ms()
        with self._units() as uow:
            endpoint = _load(uow, request.account_id, request.endpoint_id)
            if key is not None:
                again = uow.endpoints.rotated(endpoint.endpoint_id, key)
                if again is not None:
                    secret, created_ms = again
                    return RotatedSecret(endpoint, secret, created_ms + overlap_ms)
            expire_ms = now_ms + overlap_ms
            uow.endpoints.expire_secrets(endpoint.endpoint_id, expire_ms)
            secret = new_secret()
            uow.endpoints.add_secret(endpoint.endpoint_id, secret, now_ms, key)
            uow.commit()
        return RotatedSecret(endpoint, secret, expire_ms)

    # Deliveries

    def deliveries(self, request: DeliveryQuery) -> DeliveryPage:
        limit, offset = validation.page(request.page.page_size, request.page.page_token)
        if request.state is not None and request.state not in DELIVERY_STATES:
            raise InvalidArgument("state", "unknown delivery state")
        with self._units() as uow:
            endpoint = _load(uow, request.account_id, request.endpoint_id)
            found = uow.deliveries.page(endpoint.endpoint_id, request.state, limit, offset)
        return DeliveryPage(
            deliveries=tuple(found),
            next_page_token=validation.next_page_token(offset, limit, len(found)),
        )

    def delivery(self, request: DeliveryRef) -> DeliveryView:
        with self._units() as uow:
            return _load_delivery(uow, request)

    def replay(self, request: DeliveryRef) -> DeliveryView:
        now_ms = self._clock.now_ms()
        with self._units() as uow:
            delivery = _load_delivery(uow, request)
            _enabled(uow, request.account_id, request.endpoint_id)
            uow.deliveries.send_again(
                [delivery.delivery_id], now_ms, now_ms + self._retries.period_ms, False
            )
            uow.commit()
        self.wake()
        return self.delivery(request)

    def replay_failed(self, request: FailedReplay) -> int:
        """Failed deliveries since a time sent again; how many."""
        now_ms = self._clock.now_ms()
        if request.since_ms < now_ms - MAX_REPLAY_AGE_MS:
            raise InvalidArgument("since_time", "at most 30 days back")
        with self._units() as uow:
            endpoint = _enabled(uow, request.account_id, request.endpoint_id)
            chosen = uow.deliveries.failed_since(endpoint.endpoint_id, request.since_ms, MAX_REPLAY)
            uow.deliveries.send_again(chosen, now_ms, now_ms + self._retries.period_ms, True)
            uow.commit()
        self.wake()
        return len(chosen)

    def _url(self, url: str) -> str:
        try:
            checked_url(url, self._allow_private)
        except TargetRefused as refused:
            raise InvalidArgument("url", f"{refused}: {validation.quoted(url)}") from None
        return url


def _load(uow: UnitOfWork, account_id: str, endpoint_id: str) -> EndpointView:
    account_id = validation.require_id(account_id, "account_id")
    endpoint_id = validation.require_id(endpoint_id, "endpoint_id")
    found = uow.endpoints.load(account_id, endpoint_id)
    if found is None:
        raise NotFound(f"endpoint {validation.quoted(endpoint_id)} not found", "endpoint_id")
    return found


def _enabled(uow: UnitOfWork, account_id: str, endpoint_id: str) -> EndpointView:
    endpoint = _load(uow, account_id, endpoint_id)
    if not endpoint.enabled:
        raise FailedPrecondition("the endpoint is disabled: enable it first", "endpoint_id")
    return endpoint


def _load_delivery(uow: UnitOfWork, request: DeliveryRef) -> DeliveryView:
    endpoint = _load(uow, request.account_id, request.endpoint_id)
    delivery_id = validation.require_id(request.delivery_id, "delivery_id")
    found = uow.deliveries.load(endpoint.endpoint_id, delivery_id)
    if found is None:
        raise NotFound(f"delivery {validation.quoted(delivery_id)} not found", "delivery_id")
    return found


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
