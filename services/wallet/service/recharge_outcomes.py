"""Invoicing's answers to the wallet's recharge requests (billing.invoicing.events, group
"wallet"): the attempt they name (by its idempotency key) and its recharge move on, under the
account's lock, each answer applied once whatever the number of times it is delivered.

A success always stands: the card was charged and the balance credited by invoicing's TopUp.
A decline backs off (or stops after the bounded attempts, with an alert to the customer); an
authentication request waits for the customer, then for a success or a decline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import recharges_pb2 as invoicing_pb
from google.protobuf.message import Message
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common import metrics
from services.common.background import decoded_event
from services.common.clock import Clock
from services.common.errors import NotFound
from services.common.streams import Entry
from services.wallet.adapters import tables
from services.wallet.domain import recharges as life
from services.wallet.service.account_lock import lock_account
from services.wallet.service.alerts import RECHARGE_FAILED, RECHARGE_SUCCEEDED, BalanceAlerts

log = logging.getLogger(__name__)
SUCCEEDED = invoicing_pb.RechargeSucceeded.DESCRIPTOR.full_name
DECLINED = invoicing_pb.RechargeDeclined.DESCRIPTOR.full_name
ACTION_REQUIRED = invoicing_pb.RechargeActionRequired.DESCRIPTOR.full_name


class RechargeOutcomes:
    def __init__(
        self,
        engine: Engine,
        alerts: BalanceAlerts,
        clock: Clock,
        first_retry_ms: int = life.FIRST_RETRY_MS,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._alerts = alerts
        self._first_retry_ms = first_retry_ms
        self._by_type: dict[bytes, tuple[type[Message], Callable[[Any], None]]] = {
            SUCCEEDED.encode(): (invoicing_pb.RechargeSucceeded, self.succeeded),
            DECLINED.encode(): (invoicing_pb.RechargeDeclined, self.declined),
            ACTION_REQUIRED.encode(): (invoicing_pb.RechargeActionRequired, self.action_required),
        }

    def handle(self, entries: list[Entry]) -> None:
        """The consumer's batch: recharge outcomes are applied, invoicing's other events
        (invoices issued, paid...) are not the wallet's business here."""
        for _entry_id, fields in entries:
            known = self._by_type.get(fields.get(b"type", b""))
            if known is not None:
                message_type, apply = known
                apply(decoded_event(fields, message_type))

    def succeeded(self, event: invoicing_pb.RechargeSucceeded) -> None:
        def apply(
            connection: Connection, attempt: RowMapping, recharge: RowMapping, now_ms: int
        ) -> None:
            if attempt["state"] != life.ATTEMPT_SUCCEEDED:
                _attempt(
                    connection,
                    attempt,
                    now_ms,
                    state=life.ATTEMPT_SUCCEEDED,
                    problem="",
                    payment_reference=event.payment_reference[:200],
                    top_up_id=event.top_up_id[:64],
                )
            if recharge["state"] != life.DONE:
                _recharge(
                    connection,
                    recharge,
                    now_ms,
                    state=life.DONE,
                    top_up_id=event.top_up_id[:64],
                    problem="",
                    next_attempt_ms=None,
                )
                metrics.instruments().recharges.add(1, {"outcome": "paid"})
                self._alerts.add(
                    connection,
                    RECHARGE_SUCCEEDED,
                    str(recharge["account_id"]),
                    str(recharge["channel_id"]),
                    str(recharge["currency_code"]),
                    0,
                    int(recharge["crossing_ms"]),
                    recharge_micros=int(recharge["amount_micros"]),
                )

        self._apply(event.account_id, event.idempotency_key, apply)

    def declined(self, event: invoicing_pb.RechargeDeclined) -> None:
        reason = (event.reason or "declined")[: life.PROBLEM_CHARS]

        def apply(
            connection: Connection, attempt: RowMapping, recharge: RowMapping, now_ms: int
        ) -> None:
            if attempt["state"] not in life.ATTEMPT_OPEN:
                return  # told before, or overtaken by a success
            _attempt(connection, attempt, now_ms, state=life.ATTEMPT_DECLINED, problem=reason)
            current = recharge["attempts"] == attempt["attempt"]
            if not current or recharge["state"] not in life.IN_FLIGHT:
                return
            after = life.after_decline(
                attempt["attempt"], event.final, now_ms, self._first_retry_ms
            )
            _recharge(
                connection,
                recharge,
                now_ms,
                state=after.state,
                problem=reason,
                next_attempt_ms=after.next_attempt_ms,
            )
            log.warning(
                "auto-recharge declined",
                extra={"recharge_id": recharge["recharge_id"], "stopped": after.stopped},
            )
            outcome = "refused" if after.stopped else "declined"
            metrics.instruments().recharges.add(1, {"outcome": outcome})
            if after.stopped:
                self._alerts.add(
                    connection,
                    RECHARGE_FAILED,
                    str(recharge["account_id"]),
                    str(recharge["channel_id"]),
                    str(recharge["currency_code"]),
                    0,
                    int(recharge["crossing_ms"]),
                    recharge_micros=int(recharge["amount_micros"]),
                    problem=reason,
                )

        self._apply(event.account_id, event.idempotency_key, apply)

    def action_required(self, event: invoicing_pb.RechargeActionRequired) -> None:
        def apply(
            connection: Connection, attempt: RowMapping, recharge: RowMapping, now_ms: int
        ) -> None:
            if attempt["state"] != life.ATTEMPT_REQUESTED:
                return
            _attempt(
                connection,
                attempt,
                now_ms,
                state=life.ATTEMPT_ACTION_REQUIRED,
                problem=life.ACTION_PROBLEM,
            )
            if recharge["state"] in (life.REQUESTED, life.CHARGING):
                _recharge(
                    connection,
                    recharge,
                    now_ms,
                    state=life.ACTION_REQUIRED,
                    problem=life.ACTION_PROBLEM,
                )
                metrics.instruments().recharges.add(1, {"outcome": "action_required"})

        self._apply(event.account_id, event.idempotency_key, apply)

    def _apply(
        self,
        account_id: str,
        key: str,
        apply: Callable[[Connection, RowMapping, RowMapping, int], None],
    ) -> None:
        attempts = tables.recharge_attempts
        recharges = tables.recharges
        with self._engine.begin() as connection:
            try:
                lock_account(connection, account_id)
            except NotFound:
                log.warning("an answer for an unknown account", extra={"key": key[:80]})
                return
            attempt = (
                connection.execute(sa.select(attempts).where(attempts.c.idempotency_key == key))
                .mappings()
                .first()
            )
            if attempt is None or attempt["account_id"] != account_id:
                log.warning("an answer to no recharge of ours", extra={"key": key[:80]})
                return
            recharge = (
                connection.execute(
                    sa.select(recharges).where(recharges.c.recharge_id == attempt["recharge_id"])
                )
                .mappings()
                .one()
            )
            apply(connection, attempt, recharge, self._clock.now_ms())


def _attempt(
    connection: Connection, attempt: Mapping[Any, Any], now_ms: int, **values: Any
) -> None:
    table = tables.recharge_attempts
    connection.execute(
        table.update()
        .where(table.c.idempotency_key == attempt["idempotency_key"])
        .values(updated_ms=now_ms, **values)
    )


def _recharge(
    connection: Connection, recharge: Mapping[Any, Any], now_ms: int, **values: Any
) -> None:
    table = tables.recharges
    connection.execute(
        table.update()
        .where(table.c.recharge_id == recharge["recharge_id"])
        .values(updated_ms=now_ms, **values)
    )
