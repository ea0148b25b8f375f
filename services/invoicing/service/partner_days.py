"""Partner invoices: channels x 30 days at the agreed price per channel-month (or days).

The invoice is issued open; once paid (card or transfer) its days are credited to the
partner's wallet pool through wallet.AddDays, idempotently.
"""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service import guards
from services.invoicing.service.invoices import load
from services.invoicing.service.issuing import Draft, Issuing
from services.invoicing.service.settings import Clock

MAX_CHANNELS = 100_000
MAX_DAYS = MAX_CHANNELS * lines.DAYS_PER_CHANNEL_MONTH


class PartnerDays:
    def __init__(self, engine: Engine, issuing: Issuing, clock: Clock) -> None:
        self._engine = engine
        self._issuing = issuing
        self._clock = clock

    def create(
        self, request: pb.CreatePartnerDaysInvoiceRequest
    ) -> pb.CreatePartnerDaysInvoiceResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        key = guards.account_key(account_id, guards.required_key(request.idempotency_key))
        if request.channels and request.days:
            raise InvalidArgument("days", "set channels or days, not both")
        if not request.channels and not request.days:
            raise InvalidArgument("channels", "set the channels (or days) to invoice")
        if not 0 <= request.channels <= MAX_CHANNELS:
            raise InvalidArgument("channels", f"must be between 1 and {MAX_CHANNELS}")
        if not 0 <= request.days <= MAX_DAYS:
            raise InvalidArgument("days", f"must be between 1 and {MAX_DAYS}")
        price = request.price_per_channel_month
        currency = validation.currency(price.currency_code, "price_per_channel_month.currency_code")
        validation.amount(
            price.amount_micros, "price_per_channel_month.amount_micros", positive=True
        )
        invoice_lines, days = lines.partner_days_lines(
            request.channels, request.days, price.amount_micros
        )
        draft = Draft(
            account_id=account_id,
            kind=Kind.PARTNER_DAYS,
            currency_code=currency,
            lines=invoice_lines,
            days=days,
        )
        now = self._clock()
        self._issuing.ensure_series(Kind.PARTNER_DAYS, now.year)

        def issue() -> pb.CreatePartnerDaysInvoiceResponse:
            invoice_id = self._issuing.insert_draft(connection, draft)
            row = invoice_store.get(connection, account_id, invoice_id)
            total = row["total_micros"] if row is not None else 0
            self._issuing.finalise(
                connection, invoice_id, Kind.PARTNER_DAYS, now, total_micros=total
            )
            return pb.CreatePartnerDaysInvoiceResponse(
                invoice=load(connection, account_id, invoice_id)
            )

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreatePartnerDaysInvoice",
                key,
                request,
                pb.CreatePartnerDaysInvoiceResponse,
                issue,
            )
