"""What the payment provider tells later, acted on once and only when its signature verifies:
outcomes (3-D Secure completed, a delayed failure), refunds and disputes.

A refund or a dispute reverses what the payment funded: for added funds and auto-recharges
the wallet takes the money back out of the balance (below zero when it was spent: a debt),
the amount first and then the fee; for an invoice, the invoice is open again for what was
given back, a postpaid invoice's share of the charges goes back onto the wallet's balance
(owed again) and a partner invoice's share of the days back out of the pool (refused, and
said on the invoice, when they were allocated to channels). A won dispute puts back what it
took: the money and the fee, or the invoice paid again. An event is recorded as handled only
after its effects, each idempotent, went through; when one fails the provider is answered
with an error and delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common.background import OperationsAlerts
from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.invoicing.adapters import invoice_store, payment_rows, tables
from services.invoicing.domain import money
from services.invoicing.domain.invoices import Status
from services.invoicing.service import fundings, messages, service_acts
from services.invoicing.service.card_charges import INVOICE, CardCharges
from services.invoicing.service.commands.payments import EventHandled, ProviderDelivery
from services.invoicing.service.fundings import Fundings
from services.invoicing.service.payments import Payments
from services.invoicing.service.ports import (
    InvalidEventSignature,
    PaymentState,
    PaymentStatus,
    ProviderEvent,
    Wallet,
)
from services.invoicing.service.postpaid import PostpaidSettlement
from services.invoicing.service.service_acts import ServiceActs

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
        engine: Engine,
        cards: CardCharges,
        payments: Payments,
        fundings: Fundings,
        wallet: Wallet,
        clock: Clock,
        settlement: PostpaidSettlement | None = None,
        alerts: OperationsAlerts | None = None,
        acts: ServiceActs | None = None,
    ) -> None:
        self._acts = acts or ServiceActs(None)
        self._settlement = settlement
        self._alerts = alerts
        self._engine = engine
        self._cards = cards
        self._payments = payments
        self._fundings = fundings
        self._wallet = wallet
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
        table = tables.provider_events
        with self._engine.connect() as connection:
            seen = connection.execute(
                sa.select(table.c.event_id).where(table.c.event_id == event.event_id)
            ).first()
        if seen is not None:
            return EventHandled(event.event_id, event.kind, duplicate=True)
        payment = self._payment(event)
        with service_acts.provider_speaking(provider.name):
            self._act(event, payment)
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        table.insert().values(
                            event_id=event.event_id,
                            provider=provider.name,
                            kind=event.kind,
                            created_at=moment(self._clock),
                        )
                    )
                    if payment is not None:
                        self._audit(connection, event, payment)
            except IntegrityError:
                # Delivered twice at once: both acted idempotently.
                return EventHandled(event.event_id, event.kind, duplicate=True)
        return EventHandled(event.event_id, event.kind)

    def _payment(self, event: ProviderEvent) -> Row | None:
        """The payment an event is about, as it stands before the event is acted on."""
        if event.kind == "ignored" or not event.payment_ref:
            return None
        with self._engine.connect() as connection:
            payment = payment_rows.payment_by_ref(connection, event.payment_ref)
        if payment is None:
            log.info("event for a payment we do not know", extra={"event_id": event.event_id})
        return payment

    def _audit(self, connection: Connection, event: ProviderEvent, payment: Row) -> None:
        """The provider's act, in the transaction that records its event as handled."""
        now = payment_rows.payment_row(connection, payment["payment_id"]) or payment
        details = {
            "event_id": event.event_id,
            "amount_minor": event.amount_minor,
            "currency_code": event.currency_code,
            "dispute_id": event.dispute_ref,
            "won": event.won,
        }
        self._acts.record(
            PROVIDER_ACTIONS.get(event.kind, "PaymentEvent"),
            payment["account_id"],
            payment["payment_id"],
            f"{self._cards.provider.name}:{event.event_id}",
            reason=event.reason or event.kind,
            before=_payment_state(payment),
            after={**_payment_state(now), **details},
            connection=connection,
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
        key = f"refund:{payment['payment_id']}:{total}"
        self._reverse(payment, before, total, "refund", key, refunded_micros=total)

    def _disputed(self, payment: Row, event: ProviderEvent) -> None:
        amount = money.from_minor_units(event.amount_minor, payment["currency_code"])
        before = payment["refunded_micros"] + payment["disputed_micros"]
        after = min(before + amount, payment["amount_micros"])
        if after <= before:
            return
        disputed = payment["disputed_micros"] + after - before
        key = f"dispute:{event.dispute_ref}"
        self._reverse(payment, before, after, "dispute", key, disputed_micros=disputed)

    def _dispute_won(self, payment: Row, event: ProviderEvent) -> None:
        """The money came back: what the dispute took out goes back in, the fee too."""
        if not payment["disputed_micros"]:
            return
        if payment["purpose"] == INVOICE:
            self._invoice_paid_again(payment)
            return
        funding = self._fundings.funding_of_payment(payment["payment_id"])
        if funding is None:
            return
        # The dispute reversed [refunded, refunded + disputed) of the payment, amount first.
        before = payment["refunded_micros"]
        after = before + payment["disputed_micros"]
        amount = funding["amount_micros"]
        amount_part = min(after, amount) - min(before, amount)
        fee_part = payment["disputed_micros"] - amount_part
        if amount_part <= 0:
            log.warning("a won dispute of the fee alone", extra={"key": event.dispute_ref})
            return
        self._wallet.top_up(
            funding["account_id"],
            funding["channel_id"],
            funding["currency_code"],
            amount_part,
            fee_part,
            payment["reference"],
            f"dispute-won:{event.dispute_ref}",
            funding["source"],
        )

    def _reverse(
        self, payment: Row, before: int, after: int, reason: str, key: str, **values: int
    ) -> None:
        """Take back what moved from `before` to `after` of the payment (amount first, then fee)."""
        if payment["purpose"] == INVOICE:
            if self._settlement is not None:
                self._settlement.take_back(payment, before, after, reason, key)
            problem = self._take_back_days(payment, after)
            self._reopen_invoice(payment, after - before, problem, values)
            return
        funding = self._fundings.funding_of_payment(payment["payment_id"])
        if funding is None or funding["top_up_id"] is None:
            log.warning("reversal of a payment that credited nothing", extra={"key": key})
            self._update_payment(payment, **values)
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
        self._update_payment(payment, **values)

    def _take_back_days(self, payment: Row, after: int) -> str:
        """A partner-days invoice's days go back out of the pool in the share its payment was
        reversed (rounded up to whole days); the problem when the wallet refuses, else ""."""
        with self._engine.connect() as connection:
            invoice = invoice_store.get(connection, payment["account_id"], payment["invoice_id"])
        if invoice is None or invoice["days"] <= 0 or invoice["days_credited_time"] is None:
            return ""
        total = invoice["total_micros"]
        reversed_micros = min(after, total)
        target = -(-invoice["days"] * reversed_micros // total) if total else invoice["days"]
        days = target - invoice["days_taken_back"]
        if days <= 0:
            return ""
        try:
            self._wallet.take_back_days(
                invoice["account_id"],
                days,
                invoice["number"] or invoice["invoice_id"],
                f"invoice:{invoice['invoice_id']}:days-back:{target}",
            )
        except FailedPrecondition as refused:
            problem = f"{days} of its {invoice['days']} days could not be taken back: {refused}"
            log.warning("days not taken back", extra={"invoice_id": invoice["invoice_id"]})
            if self._alerts is not None:
                self._alerts.publish(
                    "days_not_taken_back",
                    f"invoice {invoice['number']} of {invoice['account_id']} was refunded or "
                    f"disputed; {problem}",
                )
            return problem
        with self._engine.begin() as connection:
            invoice_store.update(
                connection,
                invoice["invoice_id"],
                {"days_taken_back": target},
                days_taken_back=invoice["days_taken_back"],
            )
        return ""

    def _reopen_invoice(
        self, payment: Row, micros: int, problem: str, payment_values: dict[str, int]
    ) -> None:
        """The invoice is open again for what was given back, with the payment's new totals,
        in one transaction (an event delivered again finds them and does nothing)."""
        with self._engine.begin() as connection:
            row = invoice_store.get(connection, payment["account_id"], payment["invoice_id"])
            if row is not None:
                invoice_store.update(
                    connection,
                    row["invoice_id"],
                    {
                        "paid_micros": max(0, row["paid_micros"] - micros),
                        "status": Status.OPEN,
                        "paid_time": None,
                        "payment_failure_reason": (problem or "payment refunded or disputed")[:300],
                    },
                    paid_micros=row["paid_micros"],
                )
            _update_payment(connection, payment, **payment_values)

    def _invoice_paid_again(self, payment: Row) -> None:
        """A won dispute: the invoice the dispute reopened is paid again by the same payment;
        the wallet gets back its charges and days as for any payment."""
        disputed = payment["disputed_micros"]
        with self._engine.begin() as connection:
            row = invoice_store.get(connection, payment["account_id"], payment["invoice_id"])
            if row is None:
                return
            if row["status"] != Status.OPEN or disputed > messages.amount_due(row):
                log.warning(
                    "a won dispute on an invoice paid another way: the customer paid twice",
                    extra={"invoice_id": row["invoice_id"], "payment_id": payment["payment_id"]},
                )
                return
            paid = {**row, "paid_micros": row["paid_micros"] + disputed}
            values: dict[str, Any] = {"paid_micros": paid["paid_micros"]}
            if messages.amount_due(paid) == 0:
                values.update(status=Status.PAID, paid_time=moment(self._clock))
                values["payment_failure_reason"] = ""
            invoice_store.update(
                connection, row["invoice_id"], values, paid_micros=row["paid_micros"]
            )
            _update_payment(connection, payment, disputed_micros=0)
        self._payments.after_paid(payment["account_id"], payment["invoice_id"])

    def _update_payment(self, payment: Row, **values: int) -> None:
        with self._engine.begin() as connection:
            _update_payment(connection, payment, **values)


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


def _update_payment(connection: Connection, payment: Row, **values: int) -> None:
    if values:
        table = tables.payments
        connection.execute(
            table.update().where(table.c.payment_id == payment["payment_id"]).values(**values)
        )
