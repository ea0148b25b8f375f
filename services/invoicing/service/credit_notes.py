"""Credit notes: a correction of a finalised invoice, issued as its own numbered document.

The corrected invoice is never edited: its lines and totals stay; what the credit notes add
up to is shown beside them (amount_credited) and lowers what is left to pay. Credit notes on
one invoice never add up to more than its total.
"""

from __future__ import annotations

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.domain import invoices, lines, money
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service.commands.invoices import Invoice, IssueCreditNote
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing
from services.invoicing.service.ports.billing import BillingWork, BillingWorks

CORRECTABLE = (Status.OPEN, Status.PAID)


class CreditNotes:
    def __init__(self, works: BillingWorks, issuing: InvoiceIssuing, clock: Clock) -> None:
        self._works = works
        self._issuing = issuing
        self._clock = clock

    def issue(self, command: IssueCreditNote) -> Invoice:
        account_id, invoice_id = command.account_id, command.invoice_id
        amount = command.amount_micros
        now = moment(self._clock)
        self._issuing.ensure_series(Kind.CREDIT_NOTE, now.year)

        def issue(work: BillingWork) -> Invoice:
            original = work.invoices.header(account_id, invoice_id)
            if original is None:
                raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
            currency = original.currency_code
            if command.currency_code != currency:
                raise InvalidArgument("amount.currency_code", f"must be {currency}, as the invoice")
            if not money.is_whole_minor_units(amount, currency):
                raise InvalidArgument(
                    "amount.amount_micros", f"must be whole minor units of {currency}"
                )
            if original.kind == Kind.CREDIT_NOTE or original.status not in CORRECTABLE:
                raise FailedPrecondition("only a finalised invoice can be credited", "invoice_id")
            correction = lines.correction_lines(original.number, command.reason, amount)
            rate = original.tax_rate_basis_points
            totals = invoices.totals(correction, rate, currency)
            left = original.total_micros - original.credited_micros
            if totals.total_micros > left:
                raise InvalidArgument(
                    "amount.amount_micros",
                    "with tax it exceeds what is left to credit "
                    f"({money.format_amount(left, currency)})",
                )
            note_id = self._issuing.insert_draft(
                work,
                Draft(
                    account_id=account_id,
                    kind=Kind.CREDIT_NOTE,
                    currency_code=currency,
                    lines=correction,
                    corrects_invoice_id=invoice_id,
                    reason=command.reason,
                    tax_rate_basis_points=rate,
                    period_start=original.period_start,
                    period_end=original.period_end,
                ),
            )
            self._issuing.finalise(
                work, note_id, Kind.CREDIT_NOTE, now, total_micros=totals.total_micros
            )
            credited = original.credited_micros + totals.total_micros
            due = invoices.amount_due(
                original.total_micros,
                original.credits_applied_micros,
                credited,
                original.paid_micros,
            )
            settles = original.status == Status.OPEN and due == 0
            if not work.invoices.credit(
                invoice_id, credited, original.credited_micros, now if settles else None
            ):
                raise FailedPrecondition("the invoice changed meanwhile; try again", "invoice_id")
            note = work.invoices.get(account_id, note_id)
            if note is None:
                raise NotFound(f"invoice {note_id!r} not found", "invoice_id")
            return note

        with self._works() as work:
            answer = replies.once(
                work.credit_notes_issued,
                "IssueCreditNote",
                command.idempotency_key,
                command.request_sha256,
                lambda: issue(work),
            )
            work.commit()
        return answer
