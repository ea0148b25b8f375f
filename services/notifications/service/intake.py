"""Events in: each recorded once (by event id) with, in the same transaction, a delivery per
subscribed endpoint and the email that announces it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from services.common.clock import Clock
from services.notifications.domain.events import OPERATIONS_ALERT, Notice
from services.notifications.domain.retry import RetrySchedule
from services.notifications.service.ports import NewDelivery, NewEmail, Subscription, UnitsOfWork

log = logging.getLogger(__name__)
PENDING, SUCCEEDED, FAILED, SENT, SKIPPED = "pending", "succeeded", "failed", "sent", "skipped"
DELIVERY_IDS = uuid.UUID("0b8d9e52-31a4-4c57-9d0e-6f1f4a2c7b19")


def delivery_id(endpoint_id: str, event_id: str) -> str:
    """The webhook-id of an event's delivery to one endpoint: the same however often it is
    recorded, attempted or replayed."""
    return "msg_" + uuid.uuid5(DELIVERY_IDS, f"{endpoint_id}:{event_id}").hex


def subscribed(event_types: Sequence[str], event_type: str) -> bool:
    return not event_types or event_type in event_types


class Intake:
    def __init__(
        self,
        units: UnitsOfWork,
        clock: Clock,
        retries: RetrySchedule,
        email_retries: RetrySchedule,
        operators_email: str,
        after_record: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._units = units
        self._clock = clock
        self._retries = retries
        self._email_retries = email_retries
        self._operators_email = operators_email
        self.after_record = list(after_record)

    def record(self, notices: Sequence[Notice]) -> int:
        """Record the notices not seen before; the number recorded."""
        if not notices:
            return 0
        now_ms = self._clock.now_ms()
        unique = {notice.event_id: notice for notice in notices}
        with self._units() as uow:
            seen = uow.events.seen(list(unique))
            new = [notice for event_id, notice in unique.items() if event_id not in seen]
            if not new:
                return 0
            uow.events.add(new, now_ms)
            accounts = sorted({notice.account_id for notice in new if notice.account_id})
            subscriptions = uow.events.subscriptions(accounts) if accounts else []
            uow.events.add_deliveries(self._deliveries(new, subscriptions, now_ms))
            uow.events.add_emails(self._emails(new, now_ms))
            uow.commit()
        for wake in self.after_record:
            wake()
        return len(new)

    def _deliveries(
        self, notices: Sequence[Notice], subscriptions: Sequence[Subscription], now_ms: int
    ) -> list[NewDelivery]:
        by_account: dict[str, list[Subscription]] = {}
        for subscription in subscriptions:
            by_account.setdefault(subscription.account_id, []).append(subscription)
        return [
            NewDelivery(
                delivery_id=delivery_id(endpoint.endpoint_id, notice.event_id),
                endpoint_id=endpoint.endpoint_id,
                account_id=notice.account_id,
                event_id=notice.event_id,
                event_type=notice.event_type,
                created_ms=now_ms,
                give_up_ms=now_ms + self._retries.period_ms,
            )
            for notice in notices
            for endpoint in by_account.get(notice.account_id, [])
            if subscribed(endpoint.event_types, notice.event_type)
        ]

    def _emails(self, notices: Sequence[Notice], now_ms: int) -> list[NewEmail]:
        return [
            NewEmail(
                event_id=notice.event_id,
                account_id=notice.account_id,
                subject=notice.subject[:300],
                body="\n".join(notice.lines),
                invoice_id=notice.invoice_id,
                to_address=notice.to_address,
                created_ms=now_ms,
                give_up_ms=now_ms + self._email_retries.period_ms,
            )
            for notice in notices
            if notice.emailed and (notice.event_type != OPERATIONS_ALERT or self._operators_email)
        ]
