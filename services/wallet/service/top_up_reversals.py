"""Refunded or disputed money taken back from a top-up: SQL first (the account locked, never
more than the top-up brought in), then the hot balance, once. The balance may go below zero."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.common import idempotency, validation
from services.common.clock import Clock
from services.common.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from services.wallet.domain import ledger
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.commands.money import (
    RECORDED,
    ReversalRecord,
    ReverseTopUp,
    TopUpRecord,
)
from services.wallet.service.ports.money import HotMoney, MoneyWork

REVERSAL_REASONS = frozenset({"refund", "dispute"})
REVERSAL_MARKER = "reversal:"
FindTopUp = Callable[[str, str], TopUpRecord | None]
# Told (account, channel, currency) once a reversal reached the hot balance.
Tell = Callable[[str, str, str], None]


class TopUpReversals:
    def __init__(
        self,
        work: Callable[[], MoneyWork],
        hot: HotMoney,
        partitioner: Partitioner,
        clock: Clock,
        tell: Tell,
    ) -> None:
        self._work = work
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock
        self._tell = tell

    def reverse(
        self, view: AccountView, command: ReverseTopUp, find_top_up: FindTopUp
    ) -> ReversalRecord:
        validation.text(command.top_up_idempotency_key, "top_up_idempotency_key", required=True)
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        idempotency.check_key(command.idempotency_key)
        if command.reason not in REVERSAL_REASONS:
            raise InvalidArgument("reason", f"must be one of {', '.join(sorted(REVERSAL_REASONS))}")
        top_up = find_top_up(view.account_id, command.top_up_idempotency_key)
        if top_up is None:
            raise NotFound("no such top-up", "top_up_idempotency_key")
        currency = top_up.currency_code
        amounts = []
        for name, given in (("amount", command.amount), ("fee", command.fee)):
            if given.currency_code not in ("", currency):
                raise InvalidArgument(f"{name}.currency_code", f"must be {currency}")
            validation.amount(given.amount_micros, f"{name}.amount_micros")
            amounts.append(given.amount_micros)
        amount_micros, fee_micros = amounts
        if amount_micros + fee_micros == 0:
            raise InvalidArgument("amount.amount_micros", "nothing to reverse")
        record = self._record(command, top_up, amount_micros, fee_micros)
        if record.state == RECORDED:
            record = self._apply(record)
        return record

    def _record(
        self, command: ReverseTopUp, top_up: TopUpRecord, amount: int, fee: int
    ) -> ReversalRecord:
        account_id = top_up.account_id
        with self._work() as work:
            work.lock_account(account_id)
            existing = work.reversals.find(account_id, command.idempotency_key)
            if existing is not None:
                if (existing.top_up_id, existing.amount_micros, existing.fee_micros) != (
                    top_up.top_up_id,
                    amount,
                    fee,
                ):
                    raise Conflict(
                        f"idempotency key {command.idempotency_key!r} was used for another reversal"
                    )
                work.commit()
                return existing
            amount_before, fee_before = work.reversals.reversed_so_far(top_up.top_up_id)
            if amount > top_up.amount_micros - amount_before:
                raise FailedPrecondition(
                    "more than the top-up brought in is left to reverse", "amount.amount_micros"
                )
            if fee > top_up.fee_micros - fee_before:
                raise FailedPrecondition("more than the top-up's fee", "fee.amount_micros")
            now_ms = self._clock.now_ms()
            reversal_id = uuid.uuid4().hex
            record = work.reversals.add(
                ReversalRecord(
                    reversal_id=reversal_id,
                    account_id=account_id,
                    channel_id=top_up.channel_id,
                    currency_code=top_up.currency_code,
                    top_up_id=top_up.top_up_id,
                    amount_micros=amount,
                    fee_micros=fee,
                    reason=command.reason,
                    idempotency_key=command.idempotency_key,
                    state=RECORDED,
                    created_ms=now_ms,
                )
            )
            work.ledger.write(
                [
                    ledger.top_up_reversal(
                        account_id,
                        top_up.channel_id,
                        top_up.currency_code,
                        reversal_id,
                        amount,
                        fee,
                        now_ms,
                    )
                ]
            )
            work.commit()
            return record

    def _apply(self, record: ReversalRecord) -> ReversalRecord:
        if record.amount_micros:
            self._hot.apply_top_up(
                self._partitioner.keys(record.account_id),
                record.account_id,
                record.channel_id,
                record.currency_code,
                REVERSAL_MARKER + record.reversal_id,
                -record.amount_micros,
            )
        with self._work() as work:
            applied = work.reversals.mark_applied(record.reversal_id, self._clock.now_ms())
            work.commit()
        self._tell(record.account_id, record.channel_id, record.currency_code)
        return applied

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper's part: reversals recorded in SQL that did not reach Redis."""
        cutoff = self._clock.now_ms() - int(older_than_s * 1000)
        with self._work() as work:
            records = work.reversals.recorded_before(cutoff, limit)
        for record in records:
            self._apply(record)
        return len(records)
