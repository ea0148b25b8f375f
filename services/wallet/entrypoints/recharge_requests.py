"""Auto-recharge rules and recharges: requests into plain commands, results into responses."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import idempotency
from services.wallet.service.commands.money import Listed, ListPage
from services.wallet.service.commands.recharges import RechargeHistory, RuleGiven, SetAutoRecharge


def set_rule(request: pb.SetAutoRechargeRequest) -> SetAutoRecharge:
    given = request.auto_recharge
    return SetAutoRecharge(
        request.account_id,
        RuleGiven(
            account_id=given.account_id,
            channel_id=given.channel_id,
            currency_code=given.currency_code,
            enabled=given.enabled,
            threshold_micros=given.threshold_micros,
            amount_micros=given.amount_micros,
            cool_off_seconds=given.cool_off_seconds,
            max_per_month=given.max_per_month,
        ),
        request.idempotency_key,
        idempotency.fingerprint(request) if request.idempotency_key else "",
    )


def page(request: pb.ListRechargesRequest) -> ListPage:
    return ListPage(request.account_id, request.page_size, request.page_token)


def recharges_response(listed: Listed[RechargeHistory]) -> pb.ListRechargesResponse:
    return pb.ListRechargesResponse(
        recharges=[recharge_message(item) for item in listed.items],
        next_page_token=listed.next_page_token,
    )


def recharge_message(item: RechargeHistory) -> funds_pb2.Recharge:
    row = item.recharge
    currency = row.currency_code
    message = funds_pb2.Recharge(
        recharge_id=row.recharge_id,
        account_id=row.account_id,
        channel_id=row.channel_id,
        amount=money_pb2.Money(currency_code=currency, amount_micros=row.amount_micros),
        fee=money_pb2.Money(currency_code=currency, amount_micros=row.fee_micros),
        state=row.state,
        problem=row.problem,
        attempts=row.attempts,
        top_up_id=row.top_up_id or "",
    )
    message.crossing_time.FromMilliseconds(row.crossing_ms)
    message.update_time.FromMilliseconds(row.updated_ms)
    if row.next_attempt_ms is not None:
        message.next_attempt_time.FromMilliseconds(row.next_attempt_ms)
    for attempt in item.attempts:
        entry = message.history.add(
            attempt=attempt.attempt,
            idempotency_key=attempt.idempotency_key,
            state=attempt.state,
            problem=attempt.problem,
            payment_reference=attempt.payment_reference,
            top_up_id=attempt.top_up_id or "",
        )
        entry.request_time.FromMilliseconds(attempt.requested_ms)
        entry.update_time.FromMilliseconds(attempt.updated_ms)
    return message
