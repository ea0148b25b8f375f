"""What the payment provider tells later, acted on once and only when its signature verifies:
outcomes (3-D Secure completed, a delayed failure), refunds and disputes.

A refund or a dispute reverses what the payment funded: for added funds and auto-recharges
the wallet takes the money back out of the balance (below zero when it was spent: a debt),
the amount first and then the fee; for an invoice, the invoice is open again for what was
given back. An event is recorded as handled only after its effects, each idempotent, went
through; when one fails the provider is answered with an error and delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.common.errors import InvalidArgument, PermissionDenied
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import money
from services.invoicing.domain.invoices import Status
from services.invoicing.service import card_charges, fundings
from services.invoicing.service.card_charges import INVOICE, CardCharges
from services.invoicing.service.fundings import Fundings
from services.invoicing.service.payments import Payments
from services.invoicing.service.ports import (
    InvalidEventSignature,
    PaymentState,
    PaymentStatus,
    ProviderEvent,
    Wallet,
)
from services.invoicing.service.settings import Clock

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 512 * 1024
OUTCOMES = {
    "payment_succeeded": PaymentStatus.SUCCEEDED,
    "payment_failed": PaymentStatus.DECLINED,
    "payment_requires_action": PaymentStatus.REQUIRES_ACTION,
}
Row = Mapping[Any, Any]


class PaymentEvents:
    def __init__(
        self,
        engine: Engine,
        cards: CardCharges,
        payments: Payments,
        fundings: Fundings,
        wallet: Wallet,
        clock: Clock,
    ) -> None:
        self._engine = engine
        self._cards = cards
        self._payments = payments
        self._fundings = fundings
        self._wallet = wallet
        self._clock = clock

    def handle(self, request: pb.HandlePaymentEventRequest) -> pb.HandlePaymentEventResponse:
        provider = self._cards.provider
        if request.provider != provider.name:
            raise InvalidArgument("provider", f"this service takes {provider.name} events")
        if len(request.payload) > MAX_PAYLOAD_BYTES:
            raise InvalidArgument("payload", f"at most {MAX_PAYLOAD_BYTES} bytes")
        try:
            event = provider.parse_event(request.payload, request.signature)
        except InvalidEventSignature:
            raise PermissionDenied("the event's signature does not verify", "signature") from None
        answer = pb.HandlePaymentEventResponse(event_id=event.event_id, kind=event.kind)
        table = tables.provider_events
        with self._engine.connect() as connection:
            seen = connection.execute(
                sa.select(table.c.event_id).where(table.c.event_id == event.event_id)
            ).first()
        if seen is not None:
            answer.duplicate = True
            return answer
        self._act(event)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    table.insert().values(
                        event_id=event.event_id,
                        provider=provider.name,
                        kind=event.kind,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:
            answer.duplicate = True  # delivered twice at once: both acted idempotently
        return answer

    def _act(self, event: ProviderEvent) -> None:
        if event.kind == "ignored" or not event.payment_ref:
            return
        with self._engine.connect() as connection:
            payment = card_charges.payment_by_ref(connection, event.payment_ref)
        if payment is None:
            log.info("event for a payment we do not know", extra={"event_id": event.event_id})
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
            self._refunded(payment, event)
        elif event.kind == "dispute_opened":
            self._disputed(payment, event)
        elif event.kind == "dispute_closed" and event.won:
            self._dispute_won(payment, event)

    def _refunded(self, payment: Row, event: ProviderEvent) -> None:
        """Refunds are cumulative at the provider: act on what is new since the last one."""
        total = money.from_minor_units(event.amount_minor, payment["currency_code"])
        before = payment["refunded_micros"]
        if total <= before:
            return
        self._reverse(payment, before, total, "refund", f"refund:{payment['payment_id']}:{total}")
        self._update_payment(payment, refunded_micros=total)

    def _disputed(self, payment: Row, event: ProviderEvent) -> None:
        amount = money.from_minor_units(event.amount_minor, payment["currency_code"])
        before = payment["refunded_micros"] + payment["disputed_micros"]
        after = min(before + amount, payment["amount_micros"])
        if after <= before:
            return
        self._reverse(payment, before, after, "dispute", f"dispute:{event.dispute_ref}")
        self._update_payment(payment, disputed_micros=payment["disputed_micros"] + after - before)

    def _dispute_won(self, payment: Row, event: ProviderEvent) -> None:
        """The money came back: credit again what the dispute took out (amount part only)."""
        funding = self._fundings.funding_of_payment(payment["payment_id"])
        if funding is None or not payment["disputed_micros"]:
            return
        amount = min(payment["disputed_micros"], funding["amount_micros"])
        self._wallet.top_up(
            funding["account_id"],
            funding["channel_id"],
            funding["currency_code"],
            amount,
            0,
            payment["reference"],
            f"dispute-won:{event.dispute_ref}",
            funding["source"],
        )

    def _reverse(self, payment: Row, before: int, after: int, reason: str, key: str) -> None:
        """Take back what moved from `before` to `after` of the payment (amount first, then fee)."""
        if payment["purpose"] == INVOICE:
            self._reopen_invoice(payment, after - before)
            return
        funding = self._fundings.funding_of_payment(payment["payment_id"])
        if funding is None or funding["top_up_id"] is None:
            log.warning("reversal of a payment that credited nothing", extra={"key": key})
            return
        amount = funding["amount_micros"]
        amount_part = min(after, amount) - min(before, amount)
        fee_part = (after - before) - amount_part
        self._wallet.reverse_top_up(
            funding["account_id"],
            fundings.top_up_key(funding),
            amount_part,
            fee_part,
            reason,
            key,
        )

    def _reopen_invoice(self, payment: Row, micros: int) -> None:
        with self._engine.begin() as connection:
            row = invoice_store.get(connection, payment["account_id"], payment["invoice_id"])
            if row is None:
                return
            invoice_store.update(
                connection,
                row["invoice_id"],
                {
                    "paid_micros": max(0, row["paid_micros"] - micros),
                    "status": Status.OPEN,
                    "paid_time": None,
                    "payment_failure_reason": "payment refunded or disputed",
                },
                paid_micros=row["paid_micros"],
            )

    def _update_payment(self, payment: Row, **values: int) -> None:
        table = tables.payments
        with self._engine.begin() as connection:
            connection.execute(
                table.update().where(table.c.payment_id == payment["payment_id"]).values(**values)
            )
