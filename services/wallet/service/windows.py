"""Free windows the send path reads: opened by metering's window events or by OpenWindow."""

from __future__ import annotations

import logging

from services.common import validation
from services.common.categories import CATEGORY_NAMES
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument
from services.wallet.domain.partitions import (
    CONVERSATION_WINDOW,
    CUSTOMER_SERVICE_WINDOW,
    FREE_ENTRY_POINT_WINDOW,
    Partitioner,
)
from services.wallet.service.commands.send import OpenWindow
from services.wallet.service.ports.send import SendStore
from services.wallet.service.quotes import recipient_digits

log = logging.getLogger(__name__)
CONVERSATION = "conversation"
KIND_SUFFIX = {
    "customer_service": CUSTOMER_SERVICE_WINDOW,
    "free_entry_point": FREE_ENTRY_POINT_WINDOW,
    CONVERSATION: CONVERSATION_WINDOW,
}
MAX_WINDOW_MS = 31 * 24 * 3600 * 1000


class Windows:
    def __init__(
        self, hot: SendStore, partitioner: Partitioner, clock: Clock | None = None
    ) -> None:
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock or SystemClock()

    def open(self, window: OpenWindow) -> int:
        """The window's expiry in force (ms) once opened or extended; 0 when none is."""
        account_id = validation.require_id(window.account_id, "window.account_id")
        channel_id = validation.require_id(window.channel_id, "window.channel_id")
        digits = recipient_digits(window.contact, "window.contact")
        suffix = KIND_SUFFIX.get(window.kind)
        if suffix is None:
            raise InvalidArgument(
                "window.kind", "must be CUSTOMER_SERVICE, FREE_ENTRY_POINT or CONVERSATION"
            )
        if window.kind == CONVERSATION:
            if window.category not in CATEGORY_NAMES.values():
                raise InvalidArgument("window.category", "a conversation needs its category")
            suffix = CONVERSATION_WINDOW + window.category
        if window.expire_ms is None:
            raise InvalidArgument("window.expire_time", "is required")
        now_ms = self._clock.now_ms()
        if window.expire_ms > now_ms + MAX_WINDOW_MS:
            raise InvalidArgument("window.expire_time", "a window lasts at most 31 days")
        key = self._partitioner.keys(account_id).window(account_id, channel_id, digits, suffix)
        return self._hot.open_window(key, window.expire_ms, now_ms)

    def apply_event(self, event_id: str, window: OpenWindow) -> bool:
        """One metering window event; False (and logged) when it cannot be used."""
        if window.kind not in KIND_SUFFIX:
            log.warning("window event of unknown kind", extra={"event_id": event_id})
            return False
        try:
            self.open(window)
        except InvalidArgument as error:
            log.warning("window event skipped", extra={"event_id": event_id, "error": str(error)})
            return False
        return True
