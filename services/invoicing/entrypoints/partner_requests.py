"""Partner contract requests as commands, their fields checked."""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.service import guards
from services.invoicing.service.commands.partners import SetPartnerContract
from services.invoicing.service.partner_contracts import MAX_PRICE_MICROS


def set_contract(request: pb.SetPartnerContractRequest) -> SetPartnerContract:
    account_id = validation.require_id(request.account_id, "account_id")
    price = request.price_per_channel_month
    currency = validation.currency(price.currency_code, "price_per_channel_month.currency_code")
    validation.amount(price.amount_micros, "price_per_channel_month.amount_micros", positive=True)
    if price.amount_micros > MAX_PRICE_MICROS:
        raise InvalidArgument(
            "price_per_channel_month.amount_micros", f"at most {MAX_PRICE_MICROS}"
        )
    billing = _billing(request.billing)
    start = validation.date(request.start_date, "start_date") if request.start_date else None
    key = request.idempotency_key
    idempotency.check_key(key)
    return SetPartnerContract(
        account_id=account_id,
        currency_code=currency,
        price_per_channel_month_micros=price.amount_micros,
        billing=billing,
        start_date=start,
        idempotency_key=guards.account_key(account_id, key) if key else "",
        request_sha256=idempotency.fingerprint(request) if key else "",
    )


def _billing(value: pb.PartnerBilling.ValueType) -> str | None:
    if value == pb.PARTNER_BILLING_UNSPECIFIED:
        return None
    if value not in messages.BILLING_FROM_PB:
        raise InvalidArgument("billing", f"unknown billing {value}")
    return messages.BILLING_FROM_PB[value]
