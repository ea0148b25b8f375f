"""Balance alerts (low balance, zero balance) written to the outbox: published after commit."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common import outbox
from services.wallet.adapters import tables
from services.wallet.service.settings import ALERTS_STREAM

LOW_BALANCE = "low_balance"
ZERO_BALANCE = "zero_balance"
BALANCE_RECOVERED = "balance_recovered"
RECHARGE_SUCCEEDED = "recharge_succeeded"
RECHARGE_HELD = "recharge_held"
# An auto-recharge that stopped: declined too often, refused for good, or never answered.
RECHARGE_FAILED = "recharge_failed"
EVENT_IDS = uuid.UUID("5b0c6a4e-8d1f-4f0a-9a57-1d3c2b7e6f10")


def event_id(kind: str, account_id: str, channel_id: str, currency: str, crossing_ms: int) -> str:
    """The same crossing always names the same event: a repeated publish is dropped."""
    name = f"{kind}:{account_id}:{channel_id}:{currency}:{crossing_ms}"
    return uuid.uuid5(EVENT_IDS, name).hex


class BalanceAlerts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def publish(
        self,
        kind: str,
        account_id: str,
        channel_id: str,
        currency: str,
        available_micros: int,
        crossing_ms: int,
        *,
        recovered_from: str = "",
        recharge_micros: int = 0,
        problem: str = "",
    ) -> bool:
        """Put the alert in the outbox once per crossing; False when it was there already."""
        try:
            with self._engine.begin() as connection:
                return self.add(
                    connection,
                    kind,
                    account_id,
                    channel_id,
                    currency,
                    available_micros,
                    crossing_ms,
                    recovered_from=recovered_from,
                    recharge_micros=recharge_micros,
                    problem=problem,
                )
        except IntegrityError:
            return False  # written concurrently by another process

    def add(
        self,
        connection: Connection,
        kind: str,
        account_id: str,
        channel_id: str,
        currency: str,
        available_micros: int,
        crossing_ms: int,
        *,
        recovered_from: str = "",
        recharge_micros: int = 0,
        problem: str = "",
    ) -> bool:
        """The same, in the caller's transaction (with the change it tells of); a concurrent
        writer of the same alert makes the transaction fail with IntegrityError."""
        name = f"{kind}:{recovered_from}" if recovered_from else kind
        alert = pb.BalanceAlert(
            event_id=event_id(name, account_id, channel_id, currency, crossing_ms),
            account_id=account_id,
            channel_id=channel_id,
            kind=kind,
            available=money_pb2.Money(currency_code=currency, amount_micros=available_micros),
            recovered_from=recovered_from,
            problem=problem[:200],
        )
        if recharge_micros:
            alert.recharge_amount.CopyFrom(
                money_pb2.Money(currency_code=currency, amount_micros=recharge_micros)
            )
        alert.occur_time.FromMilliseconds(crossing_ms)
        table = tables.balance_alerts
        found = connection.execute(
            sa.select(table.c.event_id).where(table.c.event_id == alert.event_id)
        ).first()
        if found is not None:
            return False
        connection.execute(
            table.insert().values(
                event_id=alert.event_id,
                account_id=account_id,
                channel_id=channel_id,
                currency_code=currency,
                kind=kind,
                available_micros=available_micros,
                crossing_ms=crossing_ms,
            )
        )
        outbox.add(connection, tables.outbox, [outbox.event(ALERTS_STREAM, alert.event_id, alert)])
        return True

    def publish_recovered(
        self,
        ended: str,
        account_id: str,
        channel_id: str,
        currency: str,
        available_micros: int,
        crossing_ms: int,
    ) -> bool:
        """The balance went back above the threshold of the alert `ended` (one per crossing)."""
        return self.publish(
            BALANCE_RECOVERED,
            account_id,
            channel_id,
            currency,
            available_micros,
            crossing_ms,
            recovered_from=ended,
        )
