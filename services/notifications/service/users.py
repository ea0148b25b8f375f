"""The gateway's users, as its stream tells them: the newest version of each membership."""

from __future__ import annotations

from collections.abc import Sequence

from services.notifications.service.commands import UserAccess
from services.notifications.service.ports import UnitsOfWork


class UserCopy:
    def __init__(self, units: UnitsOfWork) -> None:
        self._units = units

    def apply(self, changes: Sequence[UserAccess]) -> None:
        """Keep each membership's newest version; older or repeated versions change nothing."""
        if not changes:
            return
        with self._units() as uow:
            for change in changes:
                uow.users.apply(change)
            uow.commit()
