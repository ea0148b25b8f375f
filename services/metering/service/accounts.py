"""Accounts from the wallet's account changes: idempotent by event id, latest wins."""

from __future__ import annotations

from services.common import event_streams
from services.metering.service.commands import AccountChange
from services.metering.service.ports import UnitsOfWork

ACCOUNTS_STREAM = event_streams.WALLET_ACCOUNTS.name


class Accounts:
    def __init__(self, units: UnitsOfWork) -> None:
        self._units = units

    def apply(self, change: AccountChange) -> bool:
        """Store the profile unless an equal or later update is stored; False if seen before."""
        with self._units() as uow:
            if not uow.accounts.consume(ACCOUNTS_STREAM, change.event_id):
                return False
            uow.accounts.store(change)
            uow.commit()
        return True

    def known(self, account_id: str) -> bool:
        with self._units() as uow:
            return uow.accounts.known(account_id)
