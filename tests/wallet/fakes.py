"""A payment provider for auto-recharges, outside the wallet: in memory, idempotent by key."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from services.common.errors import Unavailable
from services.wallet.service.ports import RechargeRefused


@dataclass
class FakeRechargePayments:
    # idempotency key -> (account, channel, currency, amount charged)
    charges: dict[str, tuple[str, str, str, int]] = field(default_factory=dict)
    refuse: bool = False
    down_for: int = 0  # answer UNAVAILABLE to this many calls first
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def charge(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        idempotency_key: str,
    ) -> str:
        with self.lock:
            self.calls += 1
            if self.down_for:
                self.down_for -= 1
                raise Unavailable("payment provider: connection refused")
            if self.refuse:
                raise RechargeRefused("card declined")
            self.charges.setdefault(
                idempotency_key, (account_id, channel_id, currency_code, amount_micros)
            )
            return f"pay-{idempotency_key[-12:]}"
