"""What a funding's moves tell, on plain values."""

from __future__ import annotations

from typing import Any

import pytest

from services.invoicing.domain import funding_states as states


def funding(source: str, **values: Any) -> dict[str, Any]:
    return {
        "funding_id": "fund_1",
        "idempotency_key": "recharge:acme:7",
        "source": source,
        "currency_code": "USD",
        "amount_micros": 25_000_000,
        "fee_micros": 750_000,
        "channel_id": "ch_1",
        "payment_id": "pay_1",
        **values,
    }


def test_every_state_is_open_or_final_once() -> None:
    final = (states.COMPLETED, states.DECLINED, states.EXPIRED)
    assert set(states.OPEN_STATES).isdisjoint(final)
    assert len(set(states.STATES)) == len(states.STATES) == 7


def test_added_funds_tell_their_final_moves_only() -> None:
    assert states.FUNDING_EVENTS == {
        states.COMPLETED: "top_up.succeeded",
        states.DECLINED: "top_up.failed",
        states.EXPIRED: "top_up.failed",
    }
    assert not set(states.FUNDING_EVENTS) & set(states.OPEN_STATES)


def test_the_top_up_key_of_added_funds_and_of_a_recharge() -> None:
    assert states.top_up_key(funding(states.ADD_FUNDS)) == "funding:fund_1"
    assert states.top_up_key(funding(states.AUTO_RECHARGE)) == "recharge:acme:7"


@pytest.mark.parametrize(
    ("source", "after", "action"),
    [
        (states.ADD_FUNDS, states.CREDITED, "AddFundsCredited"),
        (states.ADD_FUNDS, states.REQUIRES_ACTION, "AddFundsRequiresAction"),
        (states.AUTO_RECHARGE, states.DECLINED, "AutoRechargeDeclined"),
        (states.AUTO_RECHARGE, states.EXPIRED, "AutoRechargeExpired"),
    ],
)
def test_audited_moves_are_named_by_source_and_end(source: str, after: str, action: str) -> None:
    assert states.audited_action(funding(source), after) == action


def test_why_a_funding_moved() -> None:
    assert states.audited_reason(funding(states.ADD_FUNDS, failure_reason="card_declined")) == (
        "card_declined"
    )
    assert states.audited_reason(funding(states.AUTO_RECHARGE)) == (
        "the balance fell below its threshold"
    )
    assert states.audited_reason(funding(states.ADD_FUNDS)) == ""


def test_the_audited_state_after_a_move() -> None:
    kept = states.audited_state(funding(states.ADD_FUNDS, top_up_id=None), states.CREDITED)
    assert kept == {
        "state": "credited",
        "currency_code": "USD",
        "amount_micros": 25_000_000,
        "fee_micros": 750_000,
        "channel_id": "ch_1",
        "payment_id": "pay_1",
        "top_up_id": "",
        "failure_reason": "",
    }


def test_the_card_statement_names_the_charge() -> None:
    assert states.charge_description(funding(states.AUTO_RECHARGE)).startswith("Auto-recharge ")
    assert states.charge_description(funding(states.ADD_FUNDS)).startswith("Balance top-up ")
