"""Settling reservations: commit at the actual amount, release, or expire; each exactly once."""

from __future__ import annotations

from services.common import validation
from services.common.clock import Clock, SystemClock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.commands.send import Reservation, SettleReservation
from services.wallet.service.ports.send import HotStateBusy, SendStore, Settlement

COMMIT = "commit"
RELEASE = "release"
EXPIRE = "expire"


class Reservations:
    def __init__(
        self, hot: SendStore, partitioner: Partitioner, clock: Clock | None = None
    ) -> None:
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock or SystemClock()

    def commit(self, command: SettleReservation) -> Reservation:
        validation.require_id(command.account_id, "account_id")
        validation.require_id(command.reservation_id, "reservation_id")
        validation.amount(command.amount_micros, "amount_micros")
        return self.settle(
            command.account_id, command.reservation_id, COMMIT, command.amount_micros
        )

    def release(self, command: SettleReservation) -> Reservation:
        validation.require_id(command.account_id, "account_id")
        validation.require_id(command.reservation_id, "reservation_id")
        return self.settle(command.account_id, command.reservation_id, RELEASE, 0)

    def settle(
        self, account_id: str, reservation_id: str, action: str, amount_micros: int
    ) -> Reservation:
        """Apply one settlement; FAILED_PRECONDITION when it ended otherwise (nothing moves)."""
        keys = self._partitioner.keys(account_id)
        now_ms = self._clock.now_ms()
        try:
            result = self._hot.settle(
                keys, account_id, reservation_id, action, amount_micros, now_ms
            )
        except HotStateBusy:
            raise Unavailable(
                "the account's balance is being restored; try again in a moment"
            ) from None
        if result.outcome == "unknown":
            raise NotFound(f"reservation {reservation_id!r} not found for this account")
        if result.outcome == "too_much":
            raise InvalidArgument(
                "amount_micros",
                f"{amount_micros} is more than the {result.amount_micros} reserved",
            )
        if result.outcome == "ended":
            raise FailedPrecondition(
                f"reservation {reservation_id!r} is already {result.state}"
                + (f" at {result.committed_micros}" if result.state == "committed" else ""),
                "reservation_id",
            )
        return reservation_of(reservation_id, result)

    def expire_overdue(self, limit: int) -> int:
        """Release every hold past its expiry, at most `limit` per partition; returns how many."""
        now_ms = self._clock.now_ms()
        expired = 0
        for keys in self._partitioner.all():
            for reservation_id in self._hot.overdue_reservations(keys, now_ms, limit):
                account_id = self._hot.reservation_account(keys, reservation_id)
                if account_id is None:
                    self._hot.forget_overdue(keys, reservation_id)
                    continue
                try:
                    result = self._hot.settle(keys, account_id, reservation_id, EXPIRE, 0, now_ms)
                except HotStateBusy:
                    break  # the partition is being rebuilt; its holds expire afterwards
                expired += result.outcome == "done"
        return expired


def reservation_of(reservation_id: str, result: Settlement) -> Reservation:
    return Reservation(
        reservation_id=reservation_id,
        account_id=result.account_id,
        channel_id=result.channel_id,
        message_id=result.message_id,
        state=result.state,
        currency=result.currency,
        reserved_micros=result.amount_micros,
        committed_micros=result.committed_micros,
        expire_ms=result.expire_ms,
    )
