"""What one batch changes besides its event rows, gathered before it is written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.metering.domain.usage import day_bit, month_of
from services.metering.domain.windows import Window
from services.metering.service.published import Published

ALL_CHANNELS = ""  # account-wide rows of contacts and active users


@dataclass
class BatchEffects:
    daily: dict[tuple[str, str, str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    active: dict[tuple[str, str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    firsts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    outbox: list[Published] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)

    def count(
        self, account_id: str, channel_id: str, day: dt.date, category: str, name: str, n: int = 1
    ) -> None:
        self.daily[(account_id, channel_id, day.isoformat(), category)][name] += n

    def interacted(self, account_id: str, channel_id: str, contact: str, day: dt.date) -> None:
        """A delivered message either way: the contact is active that day."""
        month, bit, text = month_of(day), day_bit(day), day.isoformat()
        for channel in (channel_id, ALL_CHANNELS):
            self.active[(account_id, channel, month, contact)] |= bit
            key = (account_id, channel, contact)
            known = self.firsts.get(key)
            if known is None or text < known:
                self.firsts[key] = text

    def window(self, window: Window, event: Published) -> None:
        self.windows.append(window)
        self.outbox.append(event)
