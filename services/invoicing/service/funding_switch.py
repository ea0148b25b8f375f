"""Switching an account's funding mode at a cycle boundary: the wallet applies the terms from
the first day of the account's next billing cycle, so each cycle is paid one way only (the
notifications invoice bills exactly the cycle's postpaid days)."""

from __future__ import annotations

import datetime as dt

from services.common.clock import Clock, moment
from services.invoicing.domain import cycles
from services.invoicing.service.commands.payments import ChangeFunding
from services.invoicing.service.ports import Wallet
from services.invoicing.service.ports.payments import PaymentWorks


class FundingSwitch:
    def __init__(self, work: PaymentWorks, wallet: Wallet, clock: Clock) -> None:
        self._work = work
        self._wallet = wallet
        self._clock = clock

    def change(self, command: ChangeFunding) -> dt.date:
        """The day the new terms apply from."""
        account_id = command.account_id
        terms = self._wallet.account_terms(account_id)  # NotFound for an unknown account
        today = terms.today(moment(self._clock))
        effective = self._next_cycle_start(account_id, today) or today
        key = command.idempotency_key
        self._wallet.schedule_funding(
            account_id,
            command.funding_mode,
            command.credit_limit_micros,
            command.overdraft_limit_micros,
            effective,
            f"funding:{key}" if key else f"funding:{account_id}:{effective}:{command.funding_mode}",
        )
        return effective

    def _next_cycle_start(self, account_id: str, today: dt.date) -> dt.date | None:
        """The day after the cycle containing today, of the account's earliest active
        subscription; None when it has none."""
        with self._work() as work:
            found = work.subscriptions.earliest_active(account_id)
        if found is None:
            return None
        if found.start_date > today:
            return found.start_date
        current = cycles.cycle_containing(found.start_date, today, found.period_months)
        return current.end + dt.timedelta(days=1)
