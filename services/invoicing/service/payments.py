"""Paying invoices: the card on file through the payment port, or a bank transfer.

A card payment is claimed on the invoice (one in flight at a time), charged outside any
transaction through CardCharges (the provider's payment id stored before it is confirmed),
then settled. A decline leaves the invoice open with the reason; a retry with the same
idempotency_key answers the first result, a new key tries again. A payment the customer must
authenticate (3-D Secure) stays in flight until the provider's event settles it. Partner days
are credited to the wallet once paid (paid_invoices.py).
"""

from __future__ import annotations

import dataclasses
import logging

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import BillingError, FailedPrecondition
from services.invoicing.domain import invoices
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service import guards, ids
from services.invoicing.service.card_charges import INVOICE, PENDING, SUCCEEDED, CardCharges
from services.invoicing.service.commands.invoice_payments import InvoicePayment, PayInvoice
from services.invoicing.service.invoice_card_payments import CardClaims, answer_of
from services.invoicing.service.invoice_payments import payable
from services.invoicing.service.paid_invoices import PaidInvoices
from services.invoicing.service.ports import PaymentState, PaymentStatus
from services.invoicing.service.ports.invoice_payments import (
    InvoicePaymentWork,
    InvoicePaymentWorks,
)
from services.invoicing.service.ports.own_requests import PayPrint

log = logging.getLogger(__name__)
SCOPE = "PayInvoice"
# Issued by the billing cycle and charged to the default card at once.
AUTO_CHARGE_KINDS = (Kind.SUBSCRIPTION, Kind.NOTIFICATIONS, Kind.PARTNER_DAYS)


class Payments:
    def __init__(
        self,
        works: InvoicePaymentWorks,
        cards: CardCharges,
        claims: CardClaims,
        paid: PaidInvoices,
        clock: Clock,
        pay_print: PayPrint,
    ) -> None:
        self._works = works
        self._cards = cards
        self._claims = claims
        self._paid = paid
        self._clock = clock
        self._pay_print = pay_print

    def pay(self, command: PayInvoice) -> InvoicePayment:
        if command.transfer_reference:
            answer = self._pay_by_transfer(command)
        else:
            answer = self._pay_by_card(command)
        if answer.invoice.status == Status.PAID:
            self._paid.after_paid(command.account_id, command.invoice_id)
        return answer

    def collect(self, account_id: str, invoice_id: str) -> None:
        """Charge a freshly issued invoice to the default card, if the account has one."""
        with self._works() as work:
            row = work.invoices.get(account_id, invoice_id)
            if row is None or row["kind"] not in AUTO_CHARGE_KINDS:
                return
            if row["status"] != Status.OPEN or invoices.amount_due_of(row) == 0:
                return
            if work.cards.default(account_id) is None:
                no_card = {"payment_failure_reason": "no default card on file"}
                work.invoices.update(invoice_id, no_card)
                work.commit()
                return
        try:
            key = f"auto:{invoice_id}"
            command = PayInvoice(
                account_id=account_id,
                invoice_id=invoice_id,
                payment_method_id="",
                transfer_reference="",
                key=guards.account_key(account_id, key),
                request_sha256=self._pay_print(account_id, invoice_id, key),
            )
            self.pay(command)
        except BillingError as error:
            log.warning(
                "automatic charge failed", extra={"invoice_id": invoice_id, "error": str(error)}
            )

    def finish(self, payment_id: str, state: PaymentState) -> bool:
        """Settle an invoice's card payment the provider has decided (an answer or an event)."""
        with self._works() as work:
            payment = work.payments.get(payment_id)
            if payment is None or payment["purpose"] != INVOICE:
                return False
            account_id, invoice_id = payment["account_id"], payment["invoice_id"]
            self._claims.settle(work, account_id, invoice_id, dict(payment), state)
            work.commit()
        self._paid.after_paid(account_id, invoice_id)
        return True

    def _pay_by_transfer(self, command: PayInvoice) -> InvoicePayment:
        def settle(work: InvoicePaymentWork) -> InvoicePayment:
            row = payable(work, command.account_id, command.invoice_id)
            due = invoices.amount_due_of(row)
            now = moment(self._clock)
            payment = {
                "payment_id": new_payment_id(),
                "invoice_id": row["invoice_id"],
                "account_id": row["account_id"],
                "currency_code": row["currency_code"],
                "amount_micros": due,
                "method": "transfer",
                "payment_method_id": "",
                "reference": command.transfer_reference,
                "status": SUCCEEDED,
                "failure_reason": "",
                "created_at": now,
                "updated_at": now,
            }
            work.payments.add(payment)
            paid = {
                "status": Status.PAID,
                "paid_micros": row["paid_micros"] + due,
                "paid_time": now,
                "payment_failure_reason": "",
            }
            if not work.invoices.update(
                row["invoice_id"], paid, status=Status.OPEN, collecting_payment_id=None
            ):
                raise FailedPrecondition("the invoice changed; try again", "invoice_id")
            return answer_of(work, command.account_id, command.invoice_id, payment)

        with self._works() as work:
            answer = replies.once(
                work.invoices_paid,
                SCOPE,
                command.key,
                command.request_sha256,
                lambda: settle(work),
            )
            work.commit()
        return answer

    def _pay_by_card(self, command: PayInvoice) -> InvoicePayment:
        payment_id = ids.derived_id("pay", command.key)
        with self._works() as work:
            earlier = work.invoices_paid.find(SCOPE, command.key, command.request_sha256)
            if earlier is not None:
                return earlier
            claim = self._claims.claim(
                work, command.account_id, command.invoice_id, payment_id, command.payment_method_id
            )
            work.commit()
        if claim.payment["status"] == PENDING and not claim.payment["provider_payment_id"]:
            state = self._cards.run(claim.payment, claim.provider_token, claim.description)
        else:
            state = self._cards.refresh(claim.payment, claim.provider_token, claim.description)
        if state.status not in PaymentStatus.FINAL:
            # Not decided yet (authentication, processing): answered, not remembered.
            with self._works() as work:
                payment = work.payments.get(payment_id)
                answer = answer_of(
                    work, command.account_id, command.invoice_id, dict(payment or {})
                )
            return dataclasses.replace(answer, action_secret=state.action_secret)
        with self._works() as work:
            answer = replies.once(
                work.invoices_paid,
                SCOPE,
                command.key,
                command.request_sha256,
                lambda: self._claims.settle(
                    work, command.account_id, command.invoice_id, claim.payment, state
                ),
            )
            work.commit()
        return answer


def new_payment_id() -> str:
    return ids.new_id("pay")
