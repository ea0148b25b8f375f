"""The gateway's users, as notifications keeps them."""

from __future__ import annotations

from typing import Protocol

from services.notifications.service.commands import UserAccess


class UserRecords(Protocol):
    def apply(self, change: UserAccess) -> None:
        """Keep the membership unless an equal or newer version is kept."""
        ...
