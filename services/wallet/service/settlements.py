"""Metering's charge events settle reservations: commit at the actual amount, or release."""

from __future__ import annotations

import logging
from typing import Any

from billing.metering.v1 import events_pb2

from services.common.errors import BillingError
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.reservations import COMMIT, RELEASE, Reservations

log = logging.getLogger(__name__)


class Settlements:
    def __init__(self, hot: HotStore, partitioner: Partitioner, reservations: Reservations) -> None:
        self._hot = hot
        self._partitioner = partitioner
        self._reservations = reservations

    def apply_event(self, event: events_pb2.ChargeSettled) -> str:
        """Settle once; a redelivered event finds the reservation already settled alike."""
        reservation_id = event.reservation_id or self._reservation_of(event)
        if not reservation_id:
            return "no reservation"
        if event.action not in (COMMIT, RELEASE):
            log.warning("charge event of unknown action", extra={"event_id": event.event_id})
            return "unknown action"
        amount = event.amount.amount_micros if event.action == COMMIT else 0
        try:
            self._reservations.settle(event.account_id, reservation_id, event.action, amount)
        except BillingError as error:
            if error.field != "amount_micros":
                log.warning(
                    "charge event not applied",
                    extra={"event_id": event.event_id, "error": error.message},
                )
                return "not applied"
            # Never charge more than was reserved: the estimate is the upper bound.
            log.warning("charge above the reservation, capped", extra={"event_id": event.event_id})
            reserved = self._reserved_amount(event.account_id, reservation_id)
            self._reservations.settle(event.account_id, reservation_id, COMMIT, reserved)
        return "settled"

    def _reservation_of(self, event: events_pb2.ChargeSettled) -> str:
        if not event.account_id or not event.message_id:
            return ""
        keys = self._partitioner.keys(event.account_id)
        record: Any = self._hot.client.get(keys.message(event.account_id, event.message_id))
        if not record:
            return ""
        return bytes(record).split(b"|", 3)[2].decode()

    def _reserved_amount(self, account_id: str, reservation_id: str) -> int:
        keys = self._partitioner.keys(account_id)
        amount = self._hot.client.hget(keys.reservation(reservation_id), "amount")
        return int(amount or 0)
