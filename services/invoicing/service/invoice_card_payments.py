"""An invoice's card payment: claimed on the invoice (one in flight at a time) before it is
charged, then settled once the provider has decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.domain import invoices
from services.invoicing.domain.invoices import Status
from services.invoicing.service import card_charges, service_acts
from services.invoicing.service.card_charges import FAILED, INVOICE, SUCCEEDED, CardCharges
from services.invoicing.service.commands.invoice_payments import InvoicePayment
from services.invoicing.service.invoice_payments import payable, shown_payment
from services.invoicing.service.ports import PaymentState, PaymentStatus
from services.invoicing.service.ports.invoice_payments import InvoicePaymentWork


@dataclass(frozen=True)
class Claim:
    """A card payment claimed on an invoice, ready to charge."""

    payment: dict[str, Any]
    provider_token: str
    invoice_number: str

    @property
    def description(self) -> str:
        return f"Invoice {self.invoice_number}"


class CardClaims:
    def __init__(self, cards: CardCharges, clock: Clock) -> None:
        self._cards = cards
        self._clock = clock

    def claim(
        self,
        work: InvoicePaymentWork,
        account_id: str,
        invoice_id: str,
        payment_id: str,
        payment_method_id: str = "",
    ) -> Claim:
        """The payment to charge and its card token: this key's earlier attempt, or a new one."""
        earlier = work.payments.get(payment_id)
        if earlier is not None:
            payment = dict(earlier)
            card = work.cards.find(account_id, payment["payment_method_id"])
            row = work.invoices.get(account_id, invoice_id)
            if card is None or row is None:
                raise NotFound("the payment's card or invoice is gone", "payment_method_id")
            return Claim(payment, card.provider_token, row["number"])
        row = payable(work, account_id, invoice_id)
        due = invoices.amount_due_of(row)
        card_charges.minor_units(due, row["currency_code"], "invoice_id")
        if payment_method_id:
            card = work.cards.find(account_id, payment_method_id)
            if card is None:
                raise NotFound(f"card {payment_method_id!r} not found", "payment_method_id")
        else:
            card = work.cards.default(account_id)
            if card is None:
                raise FailedPrecondition("no default card on file", "payment_method_id")
        claimed = work.invoices.update(
            row["invoice_id"],
            {"collecting_payment_id": payment_id},
            status=Status.OPEN,
            collecting_payment_id=None,
        )
        if not claimed:
            raise FailedPrecondition("another payment of this invoice is in progress", "invoice_id")
        payment = self._cards.pending(
            payment_id=payment_id,
            account_id=account_id,
            purpose=INVOICE,
            payment_method_id=card.payment_method_id,
            currency_code=row["currency_code"],
            amount_micros=due,
            invoice_id=row["invoice_id"],
        )
        work.payments.add(payment)
        return Claim(payment, card.provider_token, row["number"])

    def settle(
        self,
        work: InvoicePaymentWork,
        account_id: str,
        invoice_id: str,
        payment: dict[str, Any],
        state: PaymentState,
    ) -> InvoicePayment:
        now = moment(self._clock)
        approved = state.status == PaymentStatus.SUCCEEDED
        outcome = {
            "status": SUCCEEDED if approved else FAILED,
            "reference": state.payment_ref,
            "failure_reason": state.reason[:300],
        }
        work.payments.update(payment["payment_id"], {**outcome, "updated_at": now})
        invoice: dict[str, Any] = {"collecting_payment_id": None}
        if approved:
            row = work.invoices.get(account_id, invoice_id)
            if row is None:
                raise NotFound("invoice not found", "invoice_id")
            invoice.update(
                status=Status.PAID,
                paid_micros=row["paid_micros"] + payment["amount_micros"],
                paid_time=now,
                payment_failure_reason="",
            )
        else:
            invoice["payment_failure_reason"] = state.reason or "declined"
        # Once per payment: only while the invoice still names it as the one being collected.
        changed = work.invoices.update(
            invoice_id, invoice, collecting_payment_id=payment["payment_id"]
        )
        settled = {**payment, **outcome}
        if changed:
            # Decided without a person's call (the provider's word, an automatic charge).
            service_acts.record(
                work.audit,
                "InvoicePaidByCard" if approved else "InvoiceCardPaymentFailed",
                account_id,
                invoice_id,
                f"{payment['payment_id']}:{outcome['status']}",
                reason=outcome["failure_reason"] or "the card on file was charged",
                before={"status": Status.OPEN, "payment_id": payment["payment_id"]},
                after={
                    "status": invoice.get("status", Status.OPEN),
                    "payment_id": payment["payment_id"],
                    "amount_micros": payment["amount_micros"],
                    "currency_code": payment["currency_code"],
                    "failure_reason": outcome["failure_reason"],
                },
            )
        return answer_of(work, account_id, invoice_id, settled)


def answer_of(
    work: InvoicePaymentWork, account_id: str, invoice_id: str, payment: Mapping[str, Any]
) -> InvoicePayment:
    invoice = work.invoices.shown(account_id, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
    return InvoicePayment(invoice, shown_payment(payment))
