"""What the wallet needs from outside: a way to charge the customer for an auto-recharge."""

from __future__ import annotations

from typing import Protocol

from services.common.errors import FailedPrecondition


class RechargeRefused(FailedPrecondition):
    """The customer could not be charged. A decline (`final` False) is tried again later, a
    bounded number of times with a growing wait; a final refusal (no payment method, no
    provider) is not."""

    def __init__(self, message: str, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


class RechargePayments(Protocol):
    """Charges the customer's default payment method for an auto-recharge.

    Idempotent by `idempotency_key` (one per attempt): asked again, it answers the first
    payment's reference and never charges twice. Raises RechargeRefused for a refusal; any
    other error is transient and the charge is asked again later with the same key.
    """

    def charge(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        idempotency_key: str,
    ) -> str: ...
