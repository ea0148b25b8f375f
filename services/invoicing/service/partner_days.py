"""Partner invoices on request: channels x 30 days at the partner's contract price per
channel-month (or days at a thirtieth of it). The price is the provider's, set by an operator
per partner (partner_contracts.py): a request that names a price is refused, and so is one
from a partner without a contract, or from one billed by the days its channels used (it buys
no days).

The invoice is issued open; once paid (card or transfer) its days are credited to the
partner's wallet pool through wallet.AddDays, idempotently.
"""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.errors import FailedPrecondition, InvalidArgument
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.adapters.partner_contract_records import SqlPartnerContractRecords
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service import guards, partner_contracts
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
        if request.HasField("price_per_channel_month"):
            raise InvalidArgument(
                "price_per_channel_month",
                "is the provider's contract price; leave it out of the request",
            )
        with self._engine.connect() as connection:
            contract = SqlPartnerContractRecords(connection).get(account_id)
        if contract is None:
            raise FailedPrecondition(
                "no contract price per channel-month is set for this partner; "
                "the provider sets it before days can be invoiced",
                "account_id",
            )
        currency = contract.currency_code
        invoice_lines, days = lines.partner_days_lines(
            request.channels, request.days, contract.price_per_channel_month_micros
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
            records = SqlPartnerContractRecords(connection)
            partner_contracts.refuse_days_for_days_used(
                records.get(account_id), records.billing_changes(account_id), now
            )
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
            SqlPartnerContractRecords(connection).lock(account_id)
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreatePartnerDaysInvoice",
                key,
                request,
                pb.CreatePartnerDaysInvoiceResponse,
                issue,
            )
