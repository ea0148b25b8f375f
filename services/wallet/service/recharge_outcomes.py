"""Invoicing's answers to the wallet's recharge requests (billing.invoicing.events, group
"wallet"): the attempt they name (by its idempotency key) and its recharge move on, under the
account's lock, each answer applied once whatever the number of times it is delivered.

A success always stands: the card was charged and the balance credited by invoicing's TopUp.
A decline backs off (or stops after the bounded attempts, with an alert to the customer); an
authentication request waits for the customer, then for a success or a decline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from services.common import metrics
from services.common.clock import Clock
from services.common.errors import NotFound
from services.wallet.domain import recharges as life
from services.wallet.service.alerts import RECHARGE_FAILED, RECHARGE_SUCCEEDED, recharge_alert
from services.wallet.service.commands.recharges import (
    Attempt,
    Recharge,
    RechargeActionRequired,
    RechargeDeclined,
    RechargeSucceeded,
)
from services.wallet.service.ports.recharges import RechargeWork

log = logging.getLogger(__name__)
# What an answer does to its attempt and recharge, in the unit of work, at now_ms.
Apply = Callable[[RechargeWork, Attempt, Recharge, int], None]


class RechargeOutcomes:
    def __init__(
        self,
        work: Callable[[], RechargeWork],
        clock: Clock,
        first_retry_ms: int = life.FIRST_RETRY_MS,
    ) -> None:
        self._work = work
        self._clock = clock
        self._first_retry_ms = first_retry_ms

    def succeeded(self, event: RechargeSucceeded) -> None:
        def apply(work: RechargeWork, attempt: Attempt, recharge: Recharge, now_ms: int) -> None:
            if attempt.state != life.ATTEMPT_SUCCEEDED:
                work.attempts.update(
                    attempt.idempotency_key,
                    now_ms,
                    state=life.ATTEMPT_SUCCEEDED,
                    problem="",
                    payment_reference=event.payment_reference[:200],
                    top_up_id=event.top_up_id[:64],
                )
            if recharge.state != life.DONE:
                work.recharges.update(
                    recharge.recharge_id,
                    now_ms,
                    state=life.DONE,
                    top_up_id=event.top_up_id[:64],
                    problem="",
                    next_attempt_ms=None,
                )
                metrics.instruments().recharges.add(1, {"outcome": "paid"})
                work.alerts.add(
                    recharge_alert(
                        RECHARGE_SUCCEEDED,
                        str(recharge.account_id),
                        str(recharge.channel_id),
                        str(recharge.currency_code),
                        int(recharge.crossing_ms),
                        int(recharge.amount_micros),
                    )
                )

        self._apply(event.account_id, event.idempotency_key, apply)

    def declined(self, event: RechargeDeclined) -> None:
        reason = (event.reason or "declined")[: life.PROBLEM_CHARS]

        def apply(work: RechargeWork, attempt: Attempt, recharge: Recharge, now_ms: int) -> None:
            if attempt.state not in life.ATTEMPT_OPEN:
                return  # told before, or overtaken by a success
            work.attempts.update(
                attempt.idempotency_key, now_ms, state=life.ATTEMPT_DECLINED, problem=reason
            )
            current = recharge.attempts == attempt.attempt
            if not current or recharge.state not in life.IN_FLIGHT:
                return
            after = life.after_decline(attempt.attempt, event.final, now_ms, self._first_retry_ms)
            work.recharges.update(
                recharge.recharge_id,
                now_ms,
                state=after.state,
                problem=reason,
                next_attempt_ms=after.next_attempt_ms,
            )
            log.warning(
                "auto-recharge declined",
                extra={"recharge_id": recharge.recharge_id, "stopped": after.stopped},
            )
            outcome = "refused" if after.stopped else "declined"
            metrics.instruments().recharges.add(1, {"outcome": outcome})
            if after.stopped:
                work.alerts.add(
                    recharge_alert(
                        RECHARGE_FAILED,
                        str(recharge.account_id),
                        str(recharge.channel_id),
                        str(recharge.currency_code),
                        int(recharge.crossing_ms),
                        int(recharge.amount_micros),
                        problem=reason,
                    )
                )

        self._apply(event.account_id, event.idempotency_key, apply)

    def action_required(self, event: RechargeActionRequired) -> None:
        def apply(work: RechargeWork, attempt: Attempt, recharge: Recharge, now_ms: int) -> None:
            if attempt.state != life.ATTEMPT_REQUESTED:
                return
            work.attempts.update(
                attempt.idempotency_key,
                now_ms,
                state=life.ATTEMPT_ACTION_REQUIRED,
                problem=life.ACTION_PROBLEM,
            )
            if recharge.state in (life.REQUESTED, life.CHARGING):
                work.recharges.update(
                    recharge.recharge_id,
                    now_ms,
                    state=life.ACTION_REQUIRED,
                    problem=life.ACTION_PROBLEM,
                )
                metrics.instruments().recharges.add(1, {"outcome": "action_required"})

        self._apply(event.account_id, event.idempotency_key, apply)

    def _apply(self, account_id: str, key: str, apply: Apply) -> None:
        with self._work() as work:
            try:
                work.lock_account(account_id)
            except NotFound:
                log.warning("an answer for an unknown account", extra={"key": key[:80]})
                return
            attempt = work.attempts.get(key)
            if attempt is None or attempt.account_id != account_id:
                log.warning("an answer to no recharge of ours", extra={"key": key[:80]})
                work.commit()
                return
            recharge = work.recharges.get(attempt.recharge_id)
            if recharge is None:
                raise NotFound(f"recharge {attempt.recharge_id!r} not found")
            apply(work, attempt, recharge, self._clock.now_ms())
            work.commit()
