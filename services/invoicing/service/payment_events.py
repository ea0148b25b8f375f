"""What the payment provider tells later, acted on once and only when its signature verifies:
outcomes (3-D Secure completed, a delayed failure), refunds and disputes (payment_reversals.py).

An event is recorded as handled only after its effects, each idempotent, went through; when
one fails the provider is answered with an error and delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import InvalidArgument, PermissionDenied
from services.invoicing.service import service_acts
from services.invoicing.service.card_charges import INVOICE, CardCharges
from services.invoicing.service.commands.payments import EventHandled, ProviderDelivery
from services.invoicing.service.fundings import Fundings
from services.invoicing.service.payment_reversals import PaymentReversals
from services.invoicing.service.payments import Payments
from services.invoicing.service.ports import (
    InvalidEventSignature,
    PaymentState,
    PaymentStatus,
    ProviderEvent,
)
from services.invoicing.service.ports.invoice_payments import (
    InvoicePaymentWork,
    InvoicePaymentWorks,
)
from services.invoicing.service.ports.payments import AlreadyKept

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 512 * 1024
# The provider's acts as the audit log names them.
PROVIDER_ACTIONS = {
    "payment_succeeded": "PaymentSucceeded",
    "payment_failed": "PaymentFailed",
    "payment_requires_action": "PaymentRequiresAction",
    "refunded": "PaymentRefunded",
    "dispute_opened": "PaymentDisputed",
    "dispute_closed": "DisputeClosed",
}
OUTCOMES = {
    "payment_succeeded": PaymentStatus.SUCCEEDED,
    "payment_failed": PaymentStatus.DECLINED,
    "payment_requires_action": PaymentStatus.REQUIRES_ACTION,
}
Row = Mapping[Any, Any]


class PaymentEvents:
    def __init__(
        self,
        works: InvoicePaymentWorks,
        cards: CardCharges,
        payments: Payments,
        fundings: Fundings,
        reversals: PaymentReversals,
        clock: Clock,
    ) -> None:
        self._works = works
        self._cards = cards
        self._payments = payments
        self._fundings = fundings
        self._reversals = reversals
        self._clock = clock

    def handle(self, request: ProviderDelivery) -> EventHandled:
        provider = self._cards.provider
        if request.provider != provider.name:
            raise InvalidArgument("provider", f"this service takes {provider.name} events")
        if len(request.payload) > MAX_PAYLOAD_BYTES:
            raise InvalidArgument("payload", f"at most {MAX_PAYLOAD_BYTES} bytes")
        try:
            event = provider.parse_event(request.payload, request.signature)
        except InvalidEventSignature:
            raise PermissionDenied("the event's signature does not verify", "signature") from None
        with self._works() as work:
            seen = work.provider_events.seen(event.event_id)
        if seen:
            return EventHandled(event.event_id, event.kind, duplicate=True)
        payment = self._payment(event)
        with service_acts.provider_speaking(provider.name):
            self._act(event, payment)
            try:
                with self._works() as work:
                    work.provider_events.add(
                        event.event_id, provider.name, event.kind, moment(self._clock)
                    )
                    if payment is not None:
                        self._audit(work, event, payment)
                    work.commit()
            except AlreadyKept:
                # Delivered twice at once: both acted idempotently.
                return EventHandled(event.event_id, event.kind, duplicate=True)
        return EventHandled(event.event_id, event.kind)

    def _payment(self, event: ProviderEvent) -> Row | None:
        """The payment an event is about, as it stands before the event is acted on."""
        if event.kind == "ignored" or not event.payment_ref:
            return None
        with self._works() as work:
            payment = work.payments.by_ref(event.payment_ref)
        if payment is None:
            log.info("event for a payment we do not know", extra={"event_id": event.event_id})
        return payment

    def _audit(self, work: InvoicePaymentWork, event: ProviderEvent, payment: Row) -> None:
        """The provider's act, in the transaction that records its event as handled."""
        now = work.payments.get(payment["payment_id"]) or payment
        details = {
            "event_id": event.event_id,
            "amount_minor": event.amount_minor,
            "currency_code": event.currency_code,
            "dispute_id": event.dispute_ref,
            "won": event.won,
        }
        service_acts.record(
            work.audit,
            PROVIDER_ACTIONS.get(event.kind, "PaymentEvent"),
            payment["account_id"],
            payment["payment_id"],
            f"{self._cards.provider.name}:{event.event_id}",
            reason=event.reason or event.kind,
            before=_payment_state(payment),
            after={**_payment_state(now), **details},
        )

    def _act(self, event: ProviderEvent, payment: Row | None) -> None:
        if payment is None:
            return
        if event.kind in OUTCOMES:
            outcome = PaymentState(OUTCOMES[event.kind], event.payment_ref, event.reason)
            if payment["purpose"] == INVOICE:
                if outcome.status in PaymentStatus.FINAL:
                    self._payments.finish(payment["payment_id"], outcome)
                else:
                    self._cards.record(payment["payment_id"], outcome)
            else:
                self._fundings.on_payment(payment, outcome)
        elif event.kind == "refunded":
            self._reversals.refunded(payment, event)
        elif event.kind == "dispute_opened":
            self._reversals.disputed(payment, event)
        elif event.kind == "dispute_closed" and event.won:
            self._reversals.dispute_won(payment, event)


def _payment_state(payment: Row) -> dict[str, Any]:
    return {
        "purpose": payment["purpose"],
        "invoice_id": payment["invoice_id"] or "",
        "status": payment["status"],
        "currency_code": payment["currency_code"],
        "amount_micros": payment["amount_micros"],
        "refunded_micros": payment["refunded_micros"],
        "disputed_micros": payment["disputed_micros"],
    }
