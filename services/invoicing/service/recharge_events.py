"""The answers to the wallet's recharge requests, as events on billing.invoicing.events:
written to the outbox in the transaction that moves the recharge's funding, so that an
answer is published exactly when the state it tells of is committed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.invoicing.domain.funding_states import (
    COMPLETED,
    CREDITED,
    DECLINED,
    EXPIRED,
    REQUIRES_ACTION,
)
from services.invoicing.service.ports.payments import CardPayments, RechargeAnswer, RechargeAnswers

EVENT_IDS = uuid.UUID("0f3f6b1e-3d0a-4c55-9a3e-6e2f4f0d8a21")
# Funding states an answer is published for.
SUCCEEDED_STATES = frozenset({CREDITED, COMPLETED})
DECLINED_STATES = frozenset({DECLINED, EXPIRED})
ACTION_STATE = REQUIRES_ACTION
Row = Mapping[Any, Any]


def after_move(
    answers: RechargeAnswers,
    payments: CardPayments,
    funding: Row,
    after: str,
    values: Mapping[str, Any],
    now_ms: int,
) -> None:
    """Publish what a recharge funding's move to `after` tells the wallet (nothing for the
    moves in between)."""
    moved = {**funding, **values, "state": after}
    if after == "credited":
        answers.publish(succeeded(payments, moved, now_ms))
    elif after in DECLINED_STATES:
        answers.publish(declined(moved, False, now_ms))
    elif after == ACTION_STATE:
        answers.publish(action_required(moved, now_ms))


def current(answers: RechargeAnswers, payments: CardPayments, funding: Row, now_ms: int) -> None:
    """Publish again the answer a recharge funding stands at (a request asked again)."""
    state = funding["state"]
    if state in SUCCEEDED_STATES:
        answers.publish(succeeded(payments, funding, now_ms))
    elif state in DECLINED_STATES:
        # Declined before any charge was tried (no provider, no card, an inexact amount).
        never_charged = not payments.exists(funding["payment_id"])
        answers.publish(declined(funding, never_charged, now_ms))
    elif state == ACTION_STATE:
        answers.publish(action_required(funding, now_ms))


def succeeded(payments: CardPayments, funding: Row, now_ms: int) -> RechargeAnswer:
    reference = payments.reference(funding["payment_id"])
    return RechargeAnswer(
        outcome="succeeded",
        event_id=_event_id(funding, "succeeded"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        occur_ms=now_ms,
        top_up_id=funding["top_up_id"] or "",
        payment_reference=reference or "",
        currency_code=funding["currency_code"],
        amount_micros=funding["amount_micros"],
        fee_micros=funding["fee_micros"],
    )


def declined(funding: Row, final: bool, now_ms: int) -> RechargeAnswer:
    return RechargeAnswer(
        outcome="declined",
        event_id=_event_id(funding, "declined"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        occur_ms=now_ms,
        reason=funding["failure_reason"] or "declined",
        final=final,
    )


def action_required(funding: Row, now_ms: int) -> RechargeAnswer:
    return RechargeAnswer(
        outcome="action_required",
        event_id=_event_id(funding, "action_required"),
        account_id=funding["account_id"],
        idempotency_key=funding["idempotency_key"],
        funding_id=funding["funding_id"],
        occur_ms=now_ms,
        reason=funding["failure_reason"] or "",
    )


def _event_id(funding: Row, outcome: str) -> str:
    """The same answer to the same request always has the same id."""
    return uuid.uuid5(EVENT_IDS, f"{funding['funding_id']}:{outcome}").hex
