"""Credit notes: a correction of a finalised invoice, issued as its own numbered document.

The corrected invoice is never edited: its lines and totals stay; what the credit notes add
up to is shown beside them (amount_credited) and lowers what is left to pay. Credit notes on
one invoice never add up to more than its total.
"""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import invoices, lines, money
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service import guards, messages
from services.invoicing.service.invoices import load
from services.invoicing.service.issuing import Draft, Issuing
from services.invoicing.service.settings import Clock

CORRECTABLE = (Status.OPEN, Status.PAID)


class CreditNotes:
    def __init__(self, engine: Engine, issuing: Issuing, clock: Clock) -> None:
        self._engine = engine
        self._issuing = issuing
        self._clock = clock

    def issue(self, request: pb.IssueCreditNoteRequest) -> pb.IssueCreditNoteResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        invoice_id = validation.require_id(request.invoice_id, "invoice_id")
        key = guards.account_key(account_id, guards.required_key(request.idempotency_key))
        reason = validation.text(request.reason, "reason", required=True, max_length=300).strip()
        guards.no_card_numbers(request)
        amount = request.amount.amount_micros
        validation.amount(amount, "amount.amount_micros", positive=True)
        now = self._clock()
        self._issuing.ensure_series(Kind.CREDIT_NOTE, now.year)

        def issue() -> pb.IssueCreditNoteResponse:
            original = invoice_store.get(connection, account_id, invoice_id)
            if original is None:
                raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
            currency = original["currency_code"]
            if request.amount.currency_code != currency:
                raise InvalidArgument("amount.currency_code", f"must be {currency}, as the invoice")
            if not money.is_whole_minor_units(amount, currency):
                raise InvalidArgument(
                    "amount.amount_micros", f"must be whole minor units of {currency}"
                )
            if original["kind"] == Kind.CREDIT_NOTE or original["status"] not in CORRECTABLE:
                raise FailedPrecondition("only a finalised invoice can be credited", "invoice_id")
            correction = lines.correction_lines(original["number"], reason, amount)
            rate = original["tax_rate_basis_points"]
            totals = invoices.totals(correction, rate, currency)
            left = original["total_micros"] - original["credited_micros"]
            if totals.total_micros > left:
                raise InvalidArgument(
                    "amount.amount_micros",
                    "with tax it exceeds what is left to credit "
                    f"({money.format_amount(left, currency)})",
                )
            note_id = self._issuing.insert_draft(
                connection,
                Draft(
                    account_id=account_id,
                    kind=Kind.CREDIT_NOTE,
                    currency_code=currency,
                    lines=correction,
                    corrects_invoice_id=invoice_id,
                    reason=reason,
                    tax_rate_basis_points=rate,
                    period_start=original["period_start"],
                    period_end=original["period_end"],
                ),
            )
            self._issuing.finalise(
                connection, note_id, Kind.CREDIT_NOTE, now, total_micros=totals.total_micros
            )
            credited = original["credited_micros"] + totals.total_micros
            changes: dict[str, object] = {"credited_micros": credited}
            settled = {**original, "credited_micros": credited}
            if original["status"] == Status.OPEN and messages.amount_due(settled) == 0:
                changes.update(status=Status.PAID, paid_time=now)
            if not invoice_store.update(
                connection, invoice_id, changes, credited_micros=original["credited_micros"]
            ):
                raise FailedPrecondition("the invoice changed meanwhile; try again", "invoice_id")
            return pb.IssueCreditNoteResponse(credit_note=load(connection, account_id, note_id))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "IssueCreditNote",
                key,
                request,
                pb.IssueCreditNoteResponse,
                issue,
            )
