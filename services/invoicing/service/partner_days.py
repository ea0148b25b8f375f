"""Partner invoices: channels x 30 days at the partner's contract price per channel-month (or
days at a thirtieth of it). The price is the provider's, set by an operator per partner:
a request that names a price is refused, and so is one from a partner without a contract.

The invoice is issued open; once paid (card or transfer) its days are credited to the
partner's wallet pool through wallet.AddDays, idempotently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service import guards, messages
from services.invoicing.service.invoices import load
from services.invoicing.service.issuing import Draft, Issuing
from services.invoicing.service.settings import Clock
from services.invoicing.service.upserts import upsert

MAX_CHANNELS = 100_000
MAX_DAYS = MAX_CHANNELS * lines.DAYS_PER_CHANNEL_MONTH
MAX_PRICE_MICROS = 10**12


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
            contract = _contract(connection, account_id)
        if contract is None:
            raise FailedPrecondition(
                "no contract price per channel-month is set for this partner; "
                "the provider sets it before days can be invoiced",
                "account_id",
            )
        currency = contract["currency_code"]
        invoice_lines, days = lines.partner_days_lines(
            request.channels, request.days, contract["price_per_channel_month_micros"]
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

    def set_contract(self, request: pb.SetPartnerContractRequest) -> pb.SetPartnerContractResponse:
        """Operators only: the price per channel-month the partner's days are invoiced at."""
        account_id = validation.require_id(request.account_id, "account_id")
        price = request.price_per_channel_month
        currency = validation.currency(price.currency_code, "price_per_channel_month.currency_code")
        validation.amount(
            price.amount_micros, "price_per_channel_month.amount_micros", positive=True
        )
        if price.amount_micros > MAX_PRICE_MICROS:
            raise InvalidArgument(
                "price_per_channel_month.amount_micros", f"at most {MAX_PRICE_MICROS}"
            )
        idempotency.check_key(request.idempotency_key)
        table = tables.partner_contracts
        values = {
            "currency_code": currency,
            "price_per_channel_month_micros": price.amount_micros,
            "updated_at": self._clock(),
        }
        with self._engine.begin() as connection:
            upsert(
                connection,
                table,
                table.c.account_id == account_id,
                {"account_id": account_id},
                values,
            )
        return pb.SetPartnerContractResponse(contract=_contract_message(account_id, values))

    def get_contract(self, request: pb.GetPartnerContractRequest) -> pb.GetPartnerContractResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        with self._engine.connect() as connection:
            contract = _contract(connection, account_id)
        if contract is None:
            raise NotFound("no partner contract for this account", "account_id")
        return pb.GetPartnerContractResponse(contract=_contract_message(account_id, contract))


def _contract(connection: Connection, account_id: str) -> Mapping[Any, Any] | None:
    table = tables.partner_contracts
    row = connection.execute(sa.select(table).where(table.c.account_id == account_id)).first()
    return None if row is None else row._mapping


def _contract_message(account_id: str, row: Mapping[Any, Any]) -> pb.PartnerContract:
    return pb.PartnerContract(
        account_id=account_id,
        price_per_channel_month=messages.money(
            row["currency_code"], row["price_per_channel_month_micros"]
        ),
        update_time=messages.timestamp(row["updated_at"]),
    )
