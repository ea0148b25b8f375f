"""The SQL unit of work auto-recharge moves in: the rules, the recharges and their attempts,
the alerts told of them and the requests to invoicing (through the outbox), under the
account's write lock."""

from __future__ import annotations

import functools

from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2, recharges_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import event_streams, outbox
from services.common.idempotency import SqlReplies
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import tables
from services.wallet.adapters.account_lock import lock_account
from services.wallet.adapters.notice_work import SqlAlertRecords
from services.wallet.adapters.recharges_sql import SqlAttempts, SqlRecharges, SqlRules
from services.wallet.service.commands.recharges import RechargeRequest, Rule
from services.wallet.service.ports.notices import AlertRecords
from services.wallet.service.ports.recharges import (
    AttemptRecords,
    RechargeRecords,
    RechargeRequests,
    RuleRecords,
)

RECHARGES_STREAM = event_streams.WALLET_RECHARGES.name


def rule_message(rule: Rule) -> funds_pb2.AutoRecharge:
    return funds_pb2.AutoRecharge(
        account_id=rule.account_id,
        channel_id=rule.channel_id,
        enabled=rule.enabled,
        threshold_micros=rule.threshold_micros,
        amount_micros=rule.amount_micros,
        cool_off_seconds=rule.cool_off_s,
        max_per_month=rule.max_per_month,
        currency_code=rule.currency,
    )


def rule_of(message: funds_pb2.AutoRecharge) -> Rule:
    return Rule(
        message.account_id,
        message.channel_id,
        message.currency_code,
        message.enabled,
        message.threshold_micros,
        message.amount_micros,
        message.cool_off_seconds,
        message.max_per_month,
    )


def _rule_set(rule: Rule) -> bytes:
    response = pb.SetAutoRechargeResponse(auto_recharge=rule_message(rule))
    return response.SerializeToString(deterministic=True)


def _rule_kept(data: bytes) -> Rule:
    return rule_of(pb.SetAutoRechargeResponse.FromString(data).auto_recharge)


class OutboxRechargeRequests:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def publish(self, request: RechargeRequest) -> None:
        recharge = request.recharge
        currency = recharge.currency_code
        event = recharges_pb2.RechargeRequested(
            event_id=request.event_id,
            recharge_id=recharge.recharge_id,
            account_id=recharge.account_id,
            channel_id=recharge.channel_id,
            amount=money_pb2.Money(currency_code=currency, amount_micros=recharge.amount_micros),
            fee=money_pb2.Money(currency_code=currency, amount_micros=recharge.fee_micros),
            idempotency_key=request.idempotency_key,
            attempt=request.attempt,
        )
        event.crossing_time.FromMilliseconds(int(recharge.crossing_ms))
        event.request_time.FromMilliseconds(request.request_ms)
        outbox.add(
            self._connection,
            tables.outbox,
            [outbox.event(RECHARGES_STREAM, event.event_id, event)],
        )


class SqlRechargeWork(SqlTransaction):
    rules: RuleRecords
    recharges: RechargeRecords
    attempts: AttemptRecords
    requests: RechargeRequests
    alerts: AlertRecords
    rules_set: Replies[Rule]

    def _bind(self, connection: Connection) -> None:
        self._locking = connection
        self.rules = SqlRules(connection)
        self.recharges = SqlRecharges(connection)
        self.attempts = SqlAttempts(connection)
        self.requests = OutboxRechargeRequests(connection)
        self.alerts = SqlAlertRecords(connection)
        self.rules_set = SqlReplies(connection, tables.idempotency_keys, _rule_set, _rule_kept)

    def lock_account(self, account_id: str) -> None:
        lock_account(self._locking, account_id)


def recharge_works(engine: Engine) -> functools.partial[SqlRechargeWork]:
    """Opens a unit of work per use."""
    return functools.partial(SqlRechargeWork, engine)
