"""Payment providers behind one port. No real provider is wired yet: production configures
none (card payments are refused with a clear reason); tests and local runs use the fake."""

from __future__ import annotations

import hashlib
import threading

from services.common.errors import Unavailable
from services.invoicing.service.ports import ChargeResult

DECLINE_MARKER = "decline"


class FakePaymentProvider:
    """Deterministic, in memory: approves every token except those containing 'decline'.

    'tok_decline_insufficient_funds' is declined with reason 'card_declined:
    insufficient_funds'. A repeated idempotency key answers the first result without
    charging twice; `charges` records each distinct charge.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, ChargeResult] = {}
        self.charges: list[tuple[str, str, int]] = []
        # Set to answer every call with Unavailable (the provider cannot be reached).
        self.unreachable = False

    def charge(
        self,
        provider_token: str,
        currency_code: str,
        amount_micros: int,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        with self._lock:
            if self.unreachable:
                raise Unavailable("payment provider: connection timed out")
            earlier = self._results.get(idempotency_key)
            if earlier is not None:
                return earlier
            reference = "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
            if DECLINE_MARKER in provider_token:
                detail = provider_token.split(DECLINE_MARKER, 1)[1].strip("_") or "generic"
                result = ChargeResult(False, reference, f"card_declined: {detail}")
            else:
                result = ChargeResult(True, reference)
                self.charges.append((provider_token, currency_code, amount_micros))
            self._results[idempotency_key] = result
            return result
