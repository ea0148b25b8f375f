"""A funding's move from one state to the next, made once: guarded by the states it may leave,
and told in the move's own transaction (the wallet's answer to its recharge request, added
funds' event, the audit log's entry when nobody asked for it in person)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.clock import Clock, moment
from services.invoicing.domain import funding_states as states
from services.invoicing.service import recharge_events, service_acts
from services.invoicing.service.ports import PaymentState, PaymentStatus
from services.invoicing.service.ports.fundings import FundingWork, FundingWorks

Row = Mapping[Any, Any]


class FundingMover:
    def __init__(self, work: FundingWorks, clock: Clock) -> None:
        self._work = work
        self._clock = clock

    def move(self, funding: Row, before: tuple[str, ...], after: str, **values: Any) -> bool:
        """Move the funding to `after` if it is still in one of `before`; whether it moved."""
        with self._work() as work:
            moved = work.fundings.move(
                funding["funding_id"], before, after, values, moment(self._clock)
            )
            if moved and funding["source"] == states.AUTO_RECHARGE:
                recharge_events.after_move(
                    work.recharge_answers,
                    work.payments,
                    funding,
                    after,
                    values,
                    self._clock.now_ms(),
                )
            elif moved and after in states.FUNDING_EVENTS:
                work.funding_events.announce(
                    funding["funding_id"], states.FUNDING_EVENTS[after], self._clock.now_ms()
                )
            if moved and after in states.AUDITED_MOVES:
                _audit(work, funding, after, values)
            work.commit()
        return moved

    def after_payment(self, funding: Row, outcome: PaymentState) -> None:
        """Where the funding's payment stands, told on the funding."""
        if outcome.status == PaymentStatus.SUCCEEDED:
            self.move(funding, (states.CHARGING, states.REQUIRES_ACTION), states.PAID)
        elif outcome.status == PaymentStatus.DECLINED:
            reason = outcome.reason or "declined"
            self.move(
                funding,
                (states.CHARGING, states.REQUIRES_ACTION),
                states.DECLINED,
                failure_reason=reason,
            )
        elif outcome.status == PaymentStatus.REQUIRES_ACTION:
            self.move(
                funding, (states.CHARGING,), states.REQUIRES_ACTION, failure_reason=outcome.reason
            )


def _audit(work: FundingWork, funding: Row, after: str, values: Mapping[str, Any]) -> None:
    """A move nobody asked for in person (the provider's word, the wallet's recharge request,
    the scheduler); during a person's call, that call's entry records it."""
    moved = {**funding, **values}
    service_acts.record(
        work.audit,
        states.audited_action(funding, after),
        funding["account_id"],
        funding["funding_id"],
        f"{funding['funding_id']}:{after}",
        reason=states.audited_reason(moved),
        before={"state": funding["state"]},
        after=states.audited_state(moved, after),
    )
