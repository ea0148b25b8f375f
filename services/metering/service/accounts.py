"""Accounts from the wallet's account changes: idempotent by event id, latest wins."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common import event_streams
from services.metering.adapters import tables
from services.metering.adapters.sql import insert_absent
from services.metering.service.commands import AccountChange

ACCOUNTS_STREAM = event_streams.WALLET_ACCOUNTS.name


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, change: AccountChange) -> bool:
        """Store the profile unless an equal or later update is stored; False if seen before."""
        t = tables.accounts
        with self._engine.begin() as connection:
            fresh = insert_absent(
                connection,
                tables.consumed_events,
                [{"stream": ACCOUNTS_STREAM, "event_id": change.event_id}],
                returning=("event_id",),
            )
            if not fresh:
                return False
            values = {
                "currency_code": change.currency_code,
                "time_zone": change.time_zone,
                "portfolio_id": change.portfolio_id,
                "profile": change.profile,
                "update_us": change.update_us,
                "event_id": change.event_id,
            }
            inserted = insert_absent(
                connection, t, [{"account_id": change.account_id, **values}], ("account_id",)
            )
            if not inserted:
                connection.execute(
                    t.update()
                    .where(t.c.account_id == change.account_id, t.c.update_us <= change.update_us)
                    .values(values)
                )
        return True

    def known(self, account_id: str) -> bool:
        t = tables.accounts
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(t.c.account_id).where(t.c.account_id == account_id)
            ).first()
        return row is not None
