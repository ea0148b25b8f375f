"""Charging a card on file, for any purpose (an invoice, added funds, an auto-recharge).

Crash safety: a payment row is written first (pending), the provider's payment is created
unconfirmed and its id stored on that row, and only then is it confirmed. A process that
dies anywhere in between leaves a row from which `refresh` finishes the payment exactly
once: it reads the provider's payment by id (confirming it if it never was) or, when no id
was stored yet, creates it again with the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, InvalidArgument
from services.invoicing.domain import money
from services.invoicing.service.ports import PaymentProvider, PaymentState, PaymentStatus
from services.invoicing.service.ports.payments import AlreadyKept, PaymentWorks

# Payment rows' states (invoicing_payments.status).
PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED = "pending", "requires_action", "succeeded", "failed"
# Authentication never completed in time: cancelled at the provider, nothing charged.
EXPIRED = "expired"
EXPIRED_REASON = "the card's authentication (3-D Secure) was not completed in time"
STATUS_OF = {
    PaymentStatus.SUCCEEDED: SUCCEEDED,
    PaymentStatus.DECLINED: FAILED,
    PaymentStatus.REQUIRES_ACTION: REQUIRES_ACTION,
    PaymentStatus.PROCESSING: PENDING,
    PaymentStatus.REQUIRES_CONFIRMATION: PENDING,
}
# What a payment is for (invoicing_payments.purpose); a funding's purposes are its sources
# (funding_states.ADD_FUNDS, funding_states.AUTO_RECHARGE).
INVOICE = "invoice"

Row = Mapping[Any, Any]


def minor_units(amount_micros: int, currency_code: str, field: str) -> int:
    """The amount a card is charged, in minor units; refused when it is not exact."""
    try:
        return money.to_minor_units(amount_micros, currency_code)
    except money.InexactAmount as error:
        raise InvalidArgument(field, str(error)) from None


class CardCharges:
    def __init__(self, work: PaymentWorks, provider: PaymentProvider, clock: Clock) -> None:
        self._work = work
        self.provider = provider
        self._clock = clock

    def customer(self, account_id: str) -> str:
        """The provider's customer of an account, created once and kept."""
        with self._work() as work:
            found = work.customers.find(account_id, self.provider.name)
        if found:
            return found
        ref = self.provider.ensure_customer(account_id, f"customer:{account_id}")
        try:
            with self._work() as work:
                work.customers.add(account_id, self.provider.name, ref, moment(self._clock))
                work.commit()
        except AlreadyKept:
            pass  # made concurrently with the same key: the provider answered the same customer
        return ref

    def pending(
        self,
        *,
        payment_id: str,
        account_id: str,
        purpose: str,
        payment_method_id: str,
        currency_code: str,
        amount_micros: int,
        invoice_id: str | None = None,
    ) -> dict[str, Any]:
        """The pending payment row, for the caller to write in its transaction before any
        charge."""
        now = moment(self._clock)
        return {
            "payment_id": payment_id,
            "invoice_id": invoice_id,
            "account_id": account_id,
            "currency_code": currency_code,
            "amount_micros": amount_micros,
            "method": "card",
            "payment_method_id": payment_method_id,
            "reference": "",
            "status": PENDING,
            "failure_reason": "",
            "purpose": purpose,
            "provider": self.provider.name,
            "provider_payment_id": None,
            "refunded_micros": 0,
            "disputed_micros": 0,
            "created_at": now,
            "updated_at": now,
        }

    def run(self, payment: Row, provider_token: str, description: str) -> PaymentState:
        """Create (once), store the id, confirm; the outcome is recorded on the row."""
        ref = payment["provider_payment_id"] or self._create(payment, provider_token, description)
        state = self.provider.confirm_payment(ref, f"{payment['payment_id']}:confirm")
        self.record(payment["payment_id"], state)
        return state

    def refresh(self, payment: Row, provider_token: str, description: str) -> PaymentState:
        """Where a payment left pending stands now (recovery): read by id, never charged twice."""
        ref = payment["provider_payment_id"]
        if not ref:
            return self.run(payment, provider_token, description)
        state = self.provider.payment_state(ref)
        if state.status == PaymentStatus.REQUIRES_CONFIRMATION:
            state = self.provider.confirm_payment(ref, f"{payment['payment_id']}:confirm")
        self.record(payment["payment_id"], state)
        return state

    def record(self, payment_id: str, state: PaymentState) -> None:
        values: dict[str, Any] = {
            "status": STATUS_OF[state.status],
            "reference": state.payment_ref,
            "failure_reason": state.reason[:300],
            "updated_at": moment(self._clock),
        }
        with self._work() as work:
            # A final outcome is never overwritten (a late event after the answer).
            work.payments.update_in_progress(payment_id, values)
            work.commit()

    def cancel_unauthenticated(self, payment: Row, reason: str) -> PaymentState:
        """Cancel a payment the customer never authenticated; where it stands afterwards.

        Cancelled, the row is `expired`; one completed meanwhile is recorded as paid."""
        ref = payment["provider_payment_id"]
        if not ref:
            state = PaymentState(PaymentStatus.DECLINED, "", reason)
        else:
            state = self.provider.cancel_payment(ref, f"{payment['payment_id']}:cancel")
        if state.status != PaymentStatus.DECLINED:
            self.record(payment["payment_id"], state)
            return state
        expired = {
            "status": EXPIRED,
            "failure_reason": reason[:300],
            "updated_at": moment(self._clock),
        }
        with self._work() as work:
            work.payments.update_in_progress(payment["payment_id"], expired)
            work.commit()
        return PaymentState(PaymentStatus.DECLINED, state.payment_ref, reason)

    def _create(self, payment: Row, provider_token: str, description: str) -> str:
        currency = payment["currency_code"]
        amount_minor = minor_units(payment["amount_micros"], currency, "amount")
        if amount_minor <= 0:
            raise FailedPrecondition("nothing to charge", "amount")
        ref = self.provider.create_payment(
            self.customer(payment["account_id"]),
            provider_token,
            currency,
            amount_minor,
            f"{payment['payment_id']}:create",
            description,
            {"payment_id": payment["payment_id"], "account_id": payment["account_id"]},
        )
        with self._work() as work:
            work.payments.update(
                payment["payment_id"],
                {"provider_payment_id": ref, "updated_at": moment(self._clock)},
            )
            work.commit()
        return ref
