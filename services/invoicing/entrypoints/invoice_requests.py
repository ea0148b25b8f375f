"""Which invoices a list asks for: kind, status, issue dates and order, checked and translated."""

from __future__ import annotations

import datetime as dt

from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.adapters import invoice_messages
from services.invoicing.adapters.invoice_messages import KIND_FROM_PB, STATUS_FROM_PB
from services.invoicing.domain.invoice_filter import (
    AMOUNT_DUE,
    NEWEST_FIRST,
    OLDEST_FIRST,
    InvoiceFilter,
)
from services.invoicing.entrypoints import request_guards
from services.invoicing.service import guards
from services.invoicing.service.commands.cycles import CycleRun, RunBillingCycle
from services.invoicing.service.commands.invoices import CreatePartnerDaysInvoice, IssueCreditNote
from services.invoicing.service.partner_days import MAX_CHANNELS, MAX_DAYS

ORDERS = {
    pb.INVOICE_ORDER_UNSPECIFIED: NEWEST_FIRST,
    pb.INVOICE_ORDER_NEWEST_FIRST: NEWEST_FIRST,
    pb.INVOICE_ORDER_OLDEST_FIRST: OLDEST_FIRST,
    pb.INVOICE_ORDER_AMOUNT_DUE: AMOUNT_DUE,
}
# An issue-date range covers at most ten years.
MAX_RANGE_DAYS = 3_660


def invoice_filter(request: pb.ListInvoicesRequest) -> InvoiceFilter:
    kind = ""
    if request.kind:
        if request.kind not in KIND_FROM_PB:
            raise InvalidArgument("kind", f"unknown invoice kind {request.kind}")
        kind = KIND_FROM_PB[request.kind]
    status = ""
    if request.status:
        if request.status not in STATUS_FROM_PB:
            raise InvalidArgument("status", f"unknown invoice status {request.status}")
        status = STATUS_FROM_PB[request.status]
    if request.order not in ORDERS:
        raise InvalidArgument("order", f"unknown order {request.order}")
    start = validation.date(request.from_date, "from_date") if request.from_date else None
    end = validation.date(request.to_date, "to_date") if request.to_date else None
    if start and end:
        validation.date_range(request.from_date, request.to_date, MAX_RANGE_DAYS)
    return InvoiceFilter(
        kind=kind,
        status=status,
        issued_from=_midnight(start) if start else None,
        issued_before=_midnight(end + dt.timedelta(days=1)) if end else None,
        order=ORDERS[request.order],
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def issue_credit_note(request: pb.IssueCreditNoteRequest) -> IssueCreditNote:
    account_id = validation.require_id(request.account_id, "account_id")
    invoice_id = validation.require_id(request.invoice_id, "invoice_id")
    key = guards.account_key(account_id, request_guards.required_key(request.idempotency_key))
    reason = validation.text(request.reason, "reason", required=True, max_length=300).strip()
    request_guards.no_card_numbers(request)
    amount = request.amount.amount_micros
    validation.amount(amount, "amount.amount_micros", positive=True)
    return IssueCreditNote(
        account_id=account_id,
        invoice_id=invoice_id,
        reason=reason,
        amount_micros=amount,
        currency_code=request.amount.currency_code,
        idempotency_key=key,
        request_sha256=idempotency.fingerprint(request),
    )


def create_partner_days(
    request: pb.CreatePartnerDaysInvoiceRequest,
) -> CreatePartnerDaysInvoice:
    account_id = validation.require_id(request.account_id, "account_id")
    key = guards.account_key(account_id, request_guards.required_key(request.idempotency_key))
    if request.channels and request.days:
        raise InvalidArgument("days", "set channels or days, not both")
    if not request.channels and not request.days:
        raise InvalidArgument("channels", "set the channels (or days) to invoice")
    if not 0 <= request.channels <= MAX_CHANNELS:
        raise InvalidArgument("channels", f"must be between 1 and {MAX_CHANNELS}")
    if not 0 <= request.days <= MAX_DAYS:
        raise InvalidArgument("days", f"must be between 1 and {MAX_DAYS}")
    if request.HasField("price_per_channel_month"):
        raise InvalidArgument(
            "price_per_channel_month",
            "is the provider's contract price; leave it out of the request",
        )
    return CreatePartnerDaysInvoice(
        account_id=account_id,
        channels=request.channels,
        days=request.days,
        idempotency_key=key,
        request_sha256=idempotency.fingerprint(request),
    )


def run_billing_cycle(request: pb.RunBillingCycleRequest) -> RunBillingCycle:
    as_of = validation.date(request.as_of_date, "as_of_date")
    account_id = validation.optional_id(request.account_id, "account_id")
    return RunBillingCycle(as_of, account_id)


def cycle_response(run: CycleRun) -> pb.RunBillingCycleResponse:
    return pb.RunBillingCycleResponse(
        invoices=[invoice_messages.invoice(issued) for issued in run.invoices],
        failures=[
            pb.CycleFailure(
                account_id=failure.account_id,
                subscription_id=failure.subscription_id,
                cycle_start_date=failure.cycle_start.isoformat(),
                reason=failure.reason,
            )
            for failure in run.failures
        ],
        issued_count=run.issued_count,
    )
