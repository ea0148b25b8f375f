"""Switching an account's funding mode at a cycle boundary: the wallet applies the terms from
the first day of the account's next billing cycle, so each cycle is paid one way only (the
notifications invoice bills exactly the cycle's postpaid days)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import validation
from services.common.clock import Clock
from services.invoicing.adapters import tables
from services.invoicing.domain import cycles
from services.invoicing.service.clock_time import utc_now
from services.invoicing.service.ports import Wallet

ACTIVE = "active"


class FundingSwitch:
    def __init__(self, engine: Engine, wallet: Wallet, clock: Clock) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clock = clock

    def change(self, request: pb.ChangeFundingModeRequest) -> pb.ChangeFundingModeResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        validation.text(request.reason, "reason", max_length=500)
        validation.amount(request.credit_limit_micros, "credit_limit_micros")
        validation.amount(request.overdraft_limit_micros, "overdraft_limit_micros")
        key = validation.text(request.idempotency_key, "idempotency_key", max_length=150)
        terms = self._wallet.account_terms(account_id)  # NotFound for an unknown account
        today = terms.today(utc_now(self._clock))
        effective = self._next_cycle_start(account_id, today) or today
        self._wallet.schedule_funding(
            account_id,
            request.funding_mode,
            request.credit_limit_micros,
            request.overdraft_limit_micros,
            effective,
            f"funding:{key}" if key else f"funding:{account_id}:{effective}:{request.funding_mode}",
        )
        return pb.ChangeFundingModeResponse(effective_date=effective.isoformat())

    def _next_cycle_start(self, account_id: str, today: dt.date) -> dt.date | None:
        """The day after the cycle containing today, of the account's earliest active
        subscription; None when it has none."""
        s, p = tables.subscriptions.c, tables.plans.c
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(s.start_date, p.period_months)
                .join(tables.plans, p.plan_id == s.plan_id)
                .where(s.account_id == account_id, s.status == ACTIVE)
                .order_by(s.start_date)
                .limit(1)
            ).first()
        if row is None:
            return None
        if row.start_date > today:
            return row.start_date
        current = cycles.cycle_containing(row.start_date, today, row.period_months)
        return current.end + dt.timedelta(days=1)
