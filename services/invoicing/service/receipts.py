"""Top-up receipts: the money added to a prepaid balance and the transaction fee, paid."""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.clock import Clock, moment
from services.common.errors import AlreadyExists, InvalidArgument
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service import guards
from services.invoicing.service.invoices import load
from services.invoicing.service.issuing import Draft, Issuing


class Receipts:
    def __init__(self, engine: Engine, issuing: Issuing, clock: Clock) -> None:
        self._engine = engine
        self._issuing = issuing
        self._clock = clock

    def create(self, request: pb.CreateTopUpReceiptRequest) -> pb.CreateTopUpReceiptResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        top_up_id = validation.require_id(request.top_up_id, "top_up_id")
        guards.no_card_numbers(request)
        currency = validation.currency(request.amount.currency_code, "amount.currency_code")
        validation.amount(request.amount.amount_micros, "amount.amount_micros", positive=True)
        validation.amount(request.fee.amount_micros, "fee.amount_micros")
        if request.fee.currency_code not in ("", currency):
            raise InvalidArgument("fee.currency_code", f"must be {currency}")
        key = guards.account_key(account_id, request.idempotency_key or f"top-up:{top_up_id}")
        draft = Draft(
            account_id=account_id,
            kind=Kind.TOP_UP_RECEIPT,
            currency_code=currency,
            lines=lines.top_up_lines(
                top_up_id, request.amount.amount_micros, request.fee.amount_micros
            ),
            source_reference=top_up_id,
        )
        now = moment(self._clock)
        self._issuing.ensure_series(Kind.TOP_UP_RECEIPT, now.year)

        def issue() -> pb.CreateTopUpReceiptResponse:
            if invoice_store.by_source(connection, account_id, Kind.TOP_UP_RECEIPT, top_up_id):
                raise AlreadyExists(f"top-up {top_up_id!r} already has a receipt", "top_up_id")
            invoice_id = self._issuing.insert_draft(connection, draft)
            row = invoice_store.get(connection, account_id, invoice_id)
            total = row["total_micros"] if row is not None else 0
            self._issuing.finalise(
                connection, invoice_id, Kind.TOP_UP_RECEIPT, now, total_micros=total
            )
            return pb.CreateTopUpReceiptResponse(invoice=load(connection, account_id, invoice_id))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreateTopUpReceipt",
                key,
                request,
                pb.CreateTopUpReceiptResponse,
                issue,
            )
