"""Refunds and disputes the payment provider tells of, reversing what the payment funded.

For added funds and auto-recharges the wallet takes the money back out of the balance (below
zero when it was spent: a debt), the amount first and then the fee; for an invoice, the
invoice is open again for what was given back, a postpaid invoice's share of the charges goes
back onto the wallet's balance (owed again) and a partner invoice's share of the days back
out of the pool (refused, and said on the invoice, when they were allocated to channels). A
won dispute puts back what it took: the money and the fee, or the invoice paid again. Each
step is idempotent: an event delivered again finds it done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.common.background import OperationsAlerts
from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition
from services.invoicing.domain import invoices, money
from services.invoicing.domain.funding_states import top_up_key
from services.invoicing.domain.invoices import Status
from services.invoicing.service.card_charges import INVOICE
from services.invoicing.service.fundings import Fundings
from services.invoicing.service.paid_invoices import PaidInvoices
from services.invoicing.service.ports import ProviderEvent, Wallet
from services.invoicing.service.ports.invoice_payments import InvoicePaymentWorks
from services.invoicing.service.postpaid import PostpaidSettlement

log = logging.getLogger(__name__)
Row = Mapping[Any, Any]


class PaymentReversals:
    def __init__(
        self,
        works: InvoicePaymentWorks,
        paid: PaidInvoices,
        fundings: Fundings,
        wallet: Wallet,
        clock: Clock,
        settlement: PostpaidSettlement | None = None,
        alerts: OperationsAlerts | None = None,
    ) -> None:
        self._works = works
        self._paid = paid
        self._fundings = fundings
        self._wallet = wallet
        self._clock = clock
        self._settlement = settlement
        self._alerts = alerts

    def refunded(self, payment: Row, event: ProviderEvent) -> None:
        """Refunds are cumulative at the provider: act on what is new since the last one."""
        total = money.from_minor_units(event.amount_minor, payment["currency_code"])
        before = payment["refunded_micros"]
        if total <= before:
            return
        key = f"refund:{payment['payment_id']}:{total}"
        self._reverse(payment, before, total, "refund", key, refunded_micros=total)

    def disputed(self, payment: Row, event: ProviderEvent) -> None:
        amount = money.from_minor_units(event.amount_minor, payment["currency_code"])
        before = payment["refunded_micros"] + payment["disputed_micros"]
        after = min(before + amount, payment["amount_micros"])
        if after <= before:
            return
        disputed = payment["disputed_micros"] + after - before
        key = f"dispute:{event.dispute_ref}"
        self._reverse(payment, before, after, "dispute", key, disputed_micros=disputed)

    def dispute_won(self, payment: Row, event: ProviderEvent) -> None:
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
            self._update_payment(payment, values)
            return
        amount = funding["amount_micros"]
        amount_part = min(after, amount) - min(before, amount)
        fee_part = (after - before) - amount_part
        self._wallet.reverse_top_up(
            funding["account_id"],
            top_up_key(funding),
            amount_part,
            fee_part,
            reason,
            key,
        )
        self._update_payment(payment, values)

    def _take_back_days(self, payment: Row, after: int) -> str:
        """A partner-days invoice's days go back out of the pool in the share its payment was
        reversed (rounded up to whole days); the problem when the wallet refuses, else ""."""
        with self._works() as work:
            invoice = work.invoices.get(payment["account_id"], payment["invoice_id"])
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
        with self._works() as work:
            work.invoices.update(
                invoice["invoice_id"],
                {"days_taken_back": target},
                days_taken_back=invoice["days_taken_back"],
            )
            work.commit()
        return ""

    def _reopen_invoice(
        self, payment: Row, micros: int, problem: str, payment_values: dict[str, int]
    ) -> None:
        """The invoice is open again for what was given back, with the payment's new totals,
        in one transaction (an event delivered again finds them and does nothing)."""
        with self._works() as work:
            row = work.invoices.get(payment["account_id"], payment["invoice_id"])
            if row is not None:
                work.invoices.update(
                    row["invoice_id"],
                    {
                        "paid_micros": max(0, row["paid_micros"] - micros),
                        "status": Status.OPEN,
                        "paid_time": None,
                        "payment_failure_reason": (problem or "payment refunded or disputed")[:300],
                    },
                    paid_micros=row["paid_micros"],
                )
            if payment_values:
                work.payments.update(payment["payment_id"], payment_values)
            work.commit()

    def _invoice_paid_again(self, payment: Row) -> None:
        """A won dispute: the invoice the dispute reopened is paid again by the same payment;
        the wallet gets back its charges and days as for any payment."""
        disputed = payment["disputed_micros"]
        with self._works() as work:
            row = work.invoices.get(payment["account_id"], payment["invoice_id"])
            if row is None:
                return
            if row["status"] != Status.OPEN or disputed > invoices.amount_due_of(row):
                log.warning(
                    "a won dispute on an invoice paid another way: the customer paid twice",
                    extra={"invoice_id": row["invoice_id"], "payment_id": payment["payment_id"]},
                )
                return
            paid = {**row, "paid_micros": row["paid_micros"] + disputed}
            values: dict[str, Any] = {"paid_micros": paid["paid_micros"]}
            if invoices.amount_due_of(paid) == 0:
                values.update(status=Status.PAID, paid_time=moment(self._clock))
                values["payment_failure_reason"] = ""
            work.invoices.update(row["invoice_id"], values, paid_micros=row["paid_micros"])
            work.payments.update(payment["payment_id"], {"disputed_micros": 0})
            work.commit()
        self._paid.after_paid(payment["account_id"], payment["invoice_id"])

    def _update_payment(self, payment: Row, values: dict[str, int]) -> None:
        with self._works() as work:
            if values:
                work.payments.update(payment["payment_id"], values)
            work.commit()
