"""Free windows the send path reads: opened by metering's window events or by OpenWindow."""

from __future__ import annotations

import logging
import time

from billing.metering.v1 import events_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import validation
from services.common.categories import CATEGORY_NAMES
from services.common.errors import InvalidArgument
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain.partitions import (
    CONVERSATION_WINDOW,
    CUSTOMER_SERVICE_WINDOW,
    FREE_ENTRY_POINT_WINDOW,
    Partitioner,
)
from services.wallet.service.quotes import recipient_digits

log = logging.getLogger(__name__)
KIND_SUFFIX = {
    funds_pb2.WINDOW_KIND_CUSTOMER_SERVICE: CUSTOMER_SERVICE_WINDOW,
    funds_pb2.WINDOW_KIND_FREE_ENTRY_POINT: FREE_ENTRY_POINT_WINDOW,
    funds_pb2.WINDOW_KIND_CONVERSATION: CONVERSATION_WINDOW,
}
EVENT_KINDS = {
    "customer_service": funds_pb2.WINDOW_KIND_CUSTOMER_SERVICE,
    "free_entry_point": funds_pb2.WINDOW_KIND_FREE_ENTRY_POINT,
    "conversation": funds_pb2.WINDOW_KIND_CONVERSATION,
}
MAX_WINDOW_MS = 31 * 24 * 3600 * 1000


class Windows:
    def __init__(self, hot: HotStore, partitioner: Partitioner) -> None:
        self._hot = hot
        self._partitioner = partitioner

    def open(self, request: pb.OpenWindowRequest) -> pb.OpenWindowResponse:
        window = request.window
        account_id = validation.require_id(window.account_id, "window.account_id")
        channel_id = validation.require_id(window.channel_id, "window.channel_id")
        digits = recipient_digits(window.contact, "window.contact")
        suffix = KIND_SUFFIX.get(window.kind)
        if suffix is None:
            raise InvalidArgument(
                "window.kind", "must be CUSTOMER_SERVICE, FREE_ENTRY_POINT or CONVERSATION"
            )
        if window.kind == funds_pb2.WINDOW_KIND_CONVERSATION:
            if window.category not in CATEGORY_NAMES.values():
                raise InvalidArgument("window.category", "a conversation needs its category")
            suffix = CONVERSATION_WINDOW + window.category
        if not window.HasField("expire_time"):
            raise InvalidArgument("window.expire_time", "is required")
        now_ms = time.time_ns() // 1_000_000
        expire_ms = window.expire_time.ToMilliseconds()
        if expire_ms > now_ms + MAX_WINDOW_MS:
            raise InvalidArgument("window.expire_time", "a window lasts at most 31 days")
        key = self._partitioner.keys(account_id).window(account_id, channel_id, digits, suffix)
        in_force = self._hot.open_window(key, expire_ms, now_ms)
        answer = pb.OpenWindowResponse()
        answer.window.CopyFrom(window)
        if in_force:
            answer.window.expire_time.FromMilliseconds(in_force)
        return answer

    def apply_event(self, event: events_pb2.WindowChanged) -> bool:
        """One metering window event; False (and logged) when it cannot be used."""
        kind = EVENT_KINDS.get(event.kind)
        if kind is None:
            log.warning("window event of unknown kind", extra={"event_id": event.event_id})
            return False
        window = funds_pb2.Window(
            account_id=event.account_id,
            channel_id=event.channel_id,
            contact=event.contact,
            kind=kind,
            category=event.category,
            open_time=event.open_time,
            expire_time=event.expire_time,
        )
        try:
            self.open(pb.OpenWindowRequest(window=window))
        except InvalidArgument as error:
            log.warning(
                "window event skipped", extra={"event_id": event.event_id, "error": str(error)}
            )
            return False
        return True
