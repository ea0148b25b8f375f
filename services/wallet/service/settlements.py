"""Metering's charges, each applied to the wallet exactly once, whatever became of its
reservation: a live one is committed at the price (the part above it taken directly); with
none (expired, released, never authorised, lost with Redis) the whole price is taken
directly, below zero if need be: a debt. A price of zero releases what was held.

Each charge is recorded in SQL first (once per account and message), then applied to the
hot balance (once, by its marker there), then posted to the ledger by the projector.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from services.common import validation
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument, NotFound
from services.wallet.domain.decisions import parse_send_record
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts
from services.wallet.service.commands.send import SettleCharge
from services.wallet.service.ports.send import SendStore
from services.wallet.service.ports.settlement import Charge, SettlementWorks

log = logging.getLogger(__name__)
COMMIT, RELEASE = "commit", "release"
CHARGE = "charge"


class Settlements:
    def __init__(
        self,
        works: SettlementWorks,
        hot: SendStore,
        partitioner: Partitioner,
        accounts: Accounts,
        clock: Clock | None = None,
    ) -> None:
        self._works = works
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._clock = clock or SystemClock()

    def ready(self) -> bool:
        """Whether every partition's hot state is whole (charges wait during a recovery)."""
        return self._hot.ready(self._partitioner.all())

    def apply(self, events: Sequence[SettleCharge]) -> int:
        """Record, then apply, each charge once; returns how many were applied now."""
        charges = [self._charge(event) for event in events]
        now_ms = self._clock.now_ms()
        with self._works() as work:
            waiting = work.charges.record(charges, now_ms)
            work.commit()
        return self._apply(waiting)

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: charges recorded and never applied (a crash, a recovery)."""
        if not self.ready():
            return 0
        cutoff = self._clock.now_ms() - int(older_than_s * 1000)
        with self._works() as work:
            waiting = work.charges.recorded_before(cutoff, limit)
        return self._apply(waiting)

    def _apply(self, charges: list[Charge]) -> int:
        if not charges:
            return 0
        resolved = self._with_reservations(charges)
        now_ms = self._clock.now_ms()
        nothing_to_post = []
        for charge in resolved:
            view = self._accounts.view(charge.account_id)
            if view is None:
                raise NotFound(f"account {charge.account_id!r} not found", "account_id")
            settled = self._hot.settle(
                self._partitioner.keys(charge.account_id),
                charge.account_id,
                charge.reservation_id,
                CHARGE,
                charge.amount_micros,
                now_ms,
                (view.balance_channel(charge.channel_id), charge.currency, charge.message_id),
            )
            if settled.outcome == "done" and not settled.wrote_end:
                nothing_to_post.append(charge.key)
        with self._works() as work:
            work.charges.mark_applied(resolved, now_ms)
            work.charges.mark_posted(nothing_to_post, now_ms)
            work.commit()
        return len(resolved)

    def _with_reservations(self, charges: list[Charge]) -> list[Charge]:
        """Each charge with the reservation its message was authorised with, when known."""
        unknown = [c for c in charges if not c.reservation_id]
        if not unknown:
            return charges
        records = self._hot.message_records(
            [(self._partitioner.keys(c.account_id), c.account_id, c.message_id) for c in unknown]
        )
        found = {c.key: _reservation_of(record) for c, record in zip(unknown, records, strict=True)}
        missing = [key for key, reservation_id in found.items() if not reservation_id]
        if missing:  # the answer was forgotten (Redis lost it): SQL knows the hold, if any
            with self._works() as work:
                found.update(work.charges.reservations_of(missing))
        return [
            c if c.reservation_id else replace(c, reservation_id=found.get(c.key, ""))
            for c in charges
        ]

    def _charge(self, event: SettleCharge) -> Charge:
        account_id = validation.require_id(event.account_id, "account_id")
        message_id = validation.require_id(event.message_id, "message_id")
        view = self._accounts.view(account_id)
        if view is None:
            raise NotFound(f"account {account_id!r} not found", "account_id")
        if event.action == COMMIT:
            amount = validation.amount(event.amount_micros, "amount.amount_micros")
        elif event.action == RELEASE:
            amount = 0
        else:
            raise InvalidArgument("action", f"unknown action {validation.quoted(event.action)}")
        currency = event.currency or view.currency
        if currency != view.currency:
            raise InvalidArgument(
                "amount.currency_code", f"the account is charged in {view.currency}"
            )
        seconds, nanos = event.occur_time
        return Charge(
            account_id=account_id,
            message_id=message_id,
            event_id=event.event_id[:300],
            channel_id=validation.optional_id(event.channel_id, "channel_id"),
            reservation_id=validation.optional_id(event.reservation_id, "reservation_id"),
            currency=currency,
            amount_micros=amount,
            occur_ms=validation.timestamp_ms(seconds, nanos, "occur_time"),
        )


def _reservation_of(record: Any) -> str:
    """The reservation id in an AuthoriseSend answer record ("" for none)."""
    if not record:
        return ""
    return parse_send_record(bytes(record)).reservation_id.decode()
