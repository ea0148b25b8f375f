"""Accounts from the wallet's AccountChanged events: idempotent by event id, latest wins."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from billing.wallet.v1 import account_pb2
from sqlalchemy.engine import Engine

from services.common import event_streams, validation
from services.common.errors import InvalidArgument
from services.metering.adapters import tables
from services.metering.adapters.sql import insert_absent
from services.metering.domain.accounts import zone

log = logging.getLogger(__name__)

ACCOUNTS_STREAM = event_streams.WALLET_ACCOUNTS.name
EVENT_TYPE = account_pb2.AccountChanged.DESCRIPTOR.full_name


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def on_entries(self, entries: Sequence[tuple[bytes, Mapping[bytes, bytes]]]) -> None:
        """Entries of billing.wallet.accounts; one that cannot be applied raises (retried,
        then set aside as a dead letter)."""
        for entry_id, fields in entries:
            self.on_stream_entry(entry_id.decode(), fields)

    def on_stream_entry(self, entry_id: str, fields: Mapping[bytes, bytes]) -> None:
        if fields.get(b"type", b"").decode() != EVENT_TYPE:
            log.warning("skipped entry of another type", extra={"entry": entry_id})
            return
        changed = account_pb2.AccountChanged.FromString(fields.get(b"event", b""))
        self.apply(changed, entry_id)

    def apply(self, changed: account_pb2.AccountChanged, fallback_id: str = "") -> bool:
        """Store the profile unless an equal or later update is stored; False if seen before."""
        profile = changed.profile
        validation.require_id(profile.account_id, "profile.account_id")
        validation.currency(profile.currency_code, "profile.currency_code")
        try:
            zone(profile.time_zone or "UTC")
        except ValueError as error:
            raise InvalidArgument("profile.time_zone", str(error)) from None
        event_id = changed.event_id or fallback_id
        update_us = profile.update_time.seconds * 1_000_000 + profile.update_time.nanos // 1_000
        t = tables.accounts
        with self._engine.begin() as connection:
            fresh = insert_absent(
                connection,
                tables.consumed_events,
                [{"stream": ACCOUNTS_STREAM, "event_id": event_id}],
                returning=("event_id",),
            )
            if not fresh:
                return False
            values = {
                "currency_code": profile.currency_code,
                "time_zone": profile.time_zone or "UTC",
                "portfolio_id": profile.portfolio_id or profile.account_id,
                "profile": profile.SerializeToString(deterministic=True),
                "update_us": update_us,
                "event_id": event_id,
            }
            inserted = insert_absent(
                connection, t, [{"account_id": profile.account_id, **values}], ("account_id",)
            )
            if not inserted:
                connection.execute(
                    t.update()
                    .where(t.c.account_id == profile.account_id, t.c.update_us <= update_us)
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
