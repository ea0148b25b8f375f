"""The send path's protobuf: requests into commands, the use cases' answers into responses.
Hot: one command built per request, and the response set in place from the send record."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.wallet.v1 import authorise_pb2 as pb

from services.wallet.domain import decisions
from services.wallet.service.commands.send import (
    ALL_OR_NOTHING,
    BEST_EFFORT,
    AuthoriseBatch,
    AuthoriseSend,
    BatchDecisions,
    Reservation,
    SendDecision,
    SettleReservation,
)

DECISIONS = {
    b"allowed": pb.DECISION_ALLOWED,
    b"flagged": pb.DECISION_ALLOWED_FLAGGED,
    b"denied": pb.DECISION_DENIED,
}
REASONS = {
    b"": pb.DENY_REASON_UNSPECIFIED,
    b"insufficient_funds": pb.DENY_REASON_INSUFFICIENT_FUNDS,
    b"unknown_account": pb.DENY_REASON_UNKNOWN_ACCOUNT,
    b"account_suspended": pb.DENY_REASON_ACCOUNT_SUSPENDED,
    b"channel_has_no_days": pb.DENY_REASON_CHANNEL_HAS_NO_DAYS,
    b"overdraft_limit_reached": pb.DENY_REASON_OVERDRAFT_LIMIT_REACHED,
    b"credit_limit_reached": pb.DENY_REASON_CREDIT_LIMIT_REACHED,
    b"no_rate_in_force": pb.DENY_REASON_NO_RATE_IN_FORCE,
    b"batch_not_covered": pb.DENY_REASON_BATCH_NOT_COVERED,
}
MESSAGES = {
    (decision, reason): decisions.message_for(decision.decode(), reason.decode())
    for decision in DECISIONS
    for reason in REASONS
}
BATCH_MODES = {
    pb.BATCH_MODE_ALL_OR_NOTHING: ALL_OR_NOTHING,
    pb.BATCH_MODE_BEST_EFFORT: BEST_EFFORT,
}
STATES = {
    "held": pb.RESERVATION_STATE_HELD,
    "committed": pb.RESERVATION_STATE_COMMITTED,
    "released": pb.RESERVATION_STATE_RELEASED,
    "expired": pb.RESERVATION_STATE_EXPIRED,
}


def send_command(request: pb.AuthoriseSendRequest) -> AuthoriseSend:
    send_time = None
    if request.HasField("send_time"):
        send_time = (request.send_time.seconds, request.send_time.nanos)
    return AuthoriseSend(
        request.account_id,
        request.channel_id,
        request.message_id,
        request.recipient,
        request.category,
        request.is_template,
        send_time,
        request.free_entry_point,
    )


def send_response(answer: SendDecision) -> pb.AuthoriseSendResponse:
    record = answer.record
    if record is None:
        return pb.AuthoriseSendResponse(
            decision=pb.DECISION_DENIED,
            deny_reason=pb.DENY_REASON_UNKNOWN_ACCOUNT,
            message=MESSAGES[(b"denied", b"unknown_account")],
        )
    decision, reason, reservation_id, after, expire_ms, price = record
    response = pb.AuthoriseSendResponse(
        decision=DECISIONS[decision],
        deny_reason=REASONS[reason],
        message=MESSAGES[(decision, reason)],
        reservation_id=reservation_id.decode(),
        replayed=answer.replayed,
    )
    # Fields set in place: half the time of building and copying the submessages.
    balance = response.balance_after
    balance.currency_code = answer.currency
    balance.amount_micros = int(after)
    if price:
        response.price.MergeFromString(price)
    if reservation_id:
        expire = response.reservation_expire_time
        expire.seconds, milliseconds = divmod(int(expire_ms), 1000)
        expire.nanos = milliseconds * 1_000_000
    return response


def batch_command(request: pb.AuthoriseBatchRequest) -> AuthoriseBatch:
    recipients = request.recipients
    send_time = None
    if request.HasField("send_time"):
        send_time = (request.send_time.seconds, request.send_time.nanos)
    return AuthoriseBatch(
        request.account_id,
        request.channel_id,
        request.category,
        request.is_template,
        BATCH_MODES.get(request.mode, ""),
        [recipient.message_id for recipient in recipients],
        [recipient.recipient for recipient in recipients],
        send_time,
    )


def batch_response(batch: AuthoriseBatch, answer: BatchDecisions) -> pb.AuthoriseBatchResponse:
    currency = answer.currency
    if not answer.known:
        return _batch_refused(b"unknown_account", 0, "")
    if answer.refusal:
        response = _batch_refused(answer.refusal, answer.available_micros, currency)
        denied_for = REASONS[answer.refusal]
        add = response.decisions.add
        for message_id, number in zip(batch.message_ids, batch.recipients, strict=True):
            add(
                message_id=message_id,
                recipient=number,
                decision=pb.DECISION_DENIED,
                deny_reason=denied_for,
            )
        response.denied_count = len(batch.message_ids)
        return response
    response = pb.AuthoriseBatchResponse(balance_after=_money(currency, answer.available_micros))
    counts = {pb.DECISION_ALLOWED: 0, pb.DECISION_ALLOWED_FLAGGED: 0, pb.DECISION_DENIED: 0}
    reserved = 0
    first_refusal = b""
    prices: dict[bytes, pb.PriceBreakdown] = {}  # each distinct price parsed once
    add = response.decisions.add
    for message_id, number, record in zip(
        batch.message_ids, batch.recipients, answer.records, strict=True
    ):
        said, reason, reservation_id, _after, _expire, price = decisions.parse_send_record(record)
        decision = DECISIONS[said]
        item = add(
            message_id=message_id,
            recipient=number,
            decision=decision,
            deny_reason=REASONS[reason],
            reservation_id=reservation_id.decode(),
        )
        if price:
            breakdown = prices.get(price)
            if breakdown is None:
                breakdown = prices[price] = pb.PriceBreakdown.FromString(price)
            item.price.CopyFrom(breakdown)
            if reservation_id:
                reserved += breakdown.total.amount_micros
        if decision == pb.DECISION_DENIED and not first_refusal:
            first_refusal = reason
        counts[decision] += 1
    response.allowed_count = counts[pb.DECISION_ALLOWED]
    response.flagged_count = counts[pb.DECISION_ALLOWED_FLAGGED]
    response.denied_count = counts[pb.DECISION_DENIED]
    response.reserved_total.CopyFrom(_money(currency, reserved))
    if response.denied_count:
        response.message = MESSAGES[(b"denied", first_refusal)]
    return response


def commit_command(request: pb.CommitReservationRequest) -> SettleReservation:
    return SettleReservation(request.account_id, request.reservation_id, request.amount_micros)


def release_command(request: pb.ReleaseReservationRequest) -> SettleReservation:
    return SettleReservation(request.account_id, request.reservation_id, 0)


def reservation_message(reservation: Reservation) -> pb.Reservation:
    currency = reservation.currency
    message = pb.Reservation(
        reservation_id=reservation.reservation_id,
        account_id=reservation.account_id,
        channel_id=reservation.channel_id,
        message_id=reservation.message_id,
        state=STATES.get(reservation.state, pb.RESERVATION_STATE_UNSPECIFIED),
        reserved=_money(currency, reservation.reserved_micros),
        committed=_money(currency, reservation.committed_micros),
    )
    message.expire_time.FromMilliseconds(reservation.expire_ms)
    return message


def _batch_refused(code: bytes, available: int, currency: str) -> pb.AuthoriseBatchResponse:
    return pb.AuthoriseBatchResponse(
        deny_reason=REASONS[code],
        message=MESSAGES[(b"denied", code)],
        balance_after=_money(currency, available),
        reserved_total=_money(currency, 0),
    )


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)
