"""The payments' requests as plain commands: ids and keys checked in the order they always
were, card numbers refused before anything else is looked at."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.entrypoints import request_guards
from services.invoicing.service import fund_quotes, guards
from services.invoicing.service.commands.invoice_payments import PayInvoice, TopUpReceipt
from services.invoicing.service.commands.payments import (
    CARD,
    AddCard,
    AddFunds,
    CardFields,
    ChangeFunding,
    EstimateFunds,
    QuoteFunds,
    RemoveCard,
    SetDefaultCard,
)

OTHER = "other"  # anything but a card: refused
CARD_KINDS = (invoice_pb2.PAYMENT_METHOD_KIND_UNSPECIFIED, invoice_pb2.PAYMENT_METHOD_KIND_CARD)


def card_setup(request: pb.StartCardSetupRequest) -> tuple[str, str]:
    """The account and its key (scoped to it)."""
    account_id = validation.require_id(request.account_id, "account_id")
    key = request_guards.required_key(request.idempotency_key)
    return account_id, guards.account_key(account_id, key)


def add_card(request: pb.AddPaymentMethodRequest) -> AddCard:
    account_id = validation.require_id(request.account_id, "account_id")
    request_guards.no_card_numbers(request)
    return AddCard(
        account_id=account_id,
        card=card_fields(request.payment_method),
        idempotency_key=request.idempotency_key,
        setup_id=request.setup_id,
        request_sha256=idempotency.fingerprint(request),
    )


def setup_print(account_id: str, key: str, card: CardFields) -> str:
    """The fingerprint of the request a completed setup stands for."""
    request = pb.AddPaymentMethodRequest(
        account_id=account_id,
        idempotency_key=key,
        payment_method=invoice_pb2.PaymentMethod(
            payment_method_id=card.payment_method_id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            provider_token=card.provider_token,
            is_default=card.is_default,
        ),
    )
    return idempotency.fingerprint(request)


def card_fields(card: invoice_pb2.PaymentMethod) -> CardFields:
    return CardFields(
        payment_method_id=card.payment_method_id,
        kind=CARD if card.kind in CARD_KINDS else OTHER,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        provider_token=card.provider_token,
        is_default=card.is_default,
    )


def card_of(
    request: pb.RemovePaymentMethodRequest | pb.SetDefaultPaymentMethodRequest,
) -> tuple[str, str]:
    account_id = validation.require_id(request.account_id, "account_id")
    method_id = validation.require_id(request.payment_method_id, "payment_method_id")
    return account_id, method_id


def set_default(request: pb.SetDefaultPaymentMethodRequest) -> SetDefaultCard:
    account_id, method_id = card_of(request)
    idempotency.check_key(request.idempotency_key)
    return SetDefaultCard(account_id, method_id)


def remove_card(request: pb.RemovePaymentMethodRequest) -> RemoveCard:
    account_id, method_id = card_of(request)
    key = guards.account_key(account_id, request_guards.required_key(request.idempotency_key))
    return RemoveCard(account_id, method_id, key, idempotency.fingerprint(request))


def change_funding(request: pb.ChangeFundingModeRequest) -> ChangeFunding:
    account_id = validation.require_id(request.account_id, "account_id")
    validation.text(request.reason, "reason", max_length=500)
    validation.amount(request.credit_limit_micros, "credit_limit_micros")
    validation.amount(request.overdraft_limit_micros, "overdraft_limit_micros")
    key = validation.text(request.idempotency_key, "idempotency_key", max_length=150)
    return ChangeFunding(
        account_id=account_id,
        funding_mode=request.funding_mode,
        credit_limit_micros=request.credit_limit_micros,
        overdraft_limit_micros=request.overdraft_limit_micros,
        idempotency_key=key,
    )


def quote_funds(request: pb.QuoteFundsRequest) -> QuoteFunds:
    account_id = validation.require_id(request.account_id, "account_id")
    validation.optional_id(request.channel_id, "channel_id")
    currency = validation.currency(request.amount.currency_code, "amount.currency_code")
    amount = validation.amount(request.amount.amount_micros, "amount.amount_micros", positive=True)
    return QuoteFunds(account_id, request.channel_id, currency, amount)


def estimate_funds(request: pb.EstimateFundsNeededRequest) -> EstimateFunds:
    account_id = validation.require_id(request.account_id, "account_id")
    validation.optional_id(request.channel_id, "channel_id")
    if not 1 <= request.days <= fund_quotes.MAX_ESTIMATE_DAYS:
        raise InvalidArgument("days", f"must be 1 to {fund_quotes.MAX_ESTIMATE_DAYS}")
    return EstimateFunds(account_id, request.channel_id, request.days)


def add_funds(request: pb.AddFundsRequest) -> AddFunds:
    account_id = validation.require_id(request.account_id, "account_id")
    quote_id = validation.require_id(request.quote_id, "quote_id")
    validation.optional_id(request.payment_method_id, "payment_method_id")
    request_guards.no_card_numbers(request)
    key = request_guards.required_key(request.idempotency_key)
    guards.account_key(account_id, key)
    return AddFunds(account_id, quote_id, request.payment_method_id, key)


def funding_of(request: pb.GetFundingRequest) -> tuple[str, str]:
    account_id = validation.require_id(request.account_id, "account_id")
    return account_id, validation.require_id(request.funding_id, "funding_id")


def fundings_page(request: pb.ListFundingsRequest) -> tuple[str, int, int]:
    """The account, the page's size and its offset."""
    account_id = validation.require_id(request.account_id, "account_id")
    limit, offset = validation.page(request.page_size, request.page_token)
    return account_id, limit, offset


def pay_invoice(request: pb.PayInvoiceRequest) -> PayInvoice:
    account_id = validation.require_id(request.account_id, "account_id")
    validation.require_id(request.invoice_id, "invoice_id")
    validation.optional_id(request.payment_method_id, "payment_method_id")
    request_guards.no_card_numbers(request)
    key = guards.account_key(account_id, request_guards.required_key(request.idempotency_key))
    if request.transfer_reference:
        validation.text(request.transfer_reference, "transfer_reference", max_length=200)
        if request.payment_method_id:
            raise InvalidArgument("payment_method_id", "must be empty for a bank transfer")
    return PayInvoice(
        account_id=account_id,
        invoice_id=request.invoice_id,
        payment_method_id=request.payment_method_id,
        transfer_reference=request.transfer_reference,
        key=key,
        request_sha256=idempotency.fingerprint(request),
    )


def pay_print(account_id: str, invoice_id: str, key: str) -> str:
    """The fingerprint of the request an automatic charge stands for."""
    request = pb.PayInvoiceRequest(
        account_id=account_id, invoice_id=invoice_id, idempotency_key=key
    )
    return idempotency.fingerprint(request)


def funding_receipt(
    account_id: str, funding_id: str, currency_code: str, amount_micros: int, fee_micros: int
) -> TopUpReceipt:
    """The CreateTopUpReceipt request a funding's receipt stands for, as its command."""
    request = pb.CreateTopUpReceiptRequest(
        account_id=account_id,
        top_up_id=funding_id,
        amount=money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros),
        fee=money_pb2.Money(currency_code=currency_code, amount_micros=fee_micros),
    )
    return top_up_receipt(request)


def top_up_receipt(request: pb.CreateTopUpReceiptRequest) -> TopUpReceipt:
    account_id = validation.require_id(request.account_id, "account_id")
    top_up_id = validation.require_id(request.top_up_id, "top_up_id")
    request_guards.no_card_numbers(request)
    currency = validation.currency(request.amount.currency_code, "amount.currency_code")
    validation.amount(request.amount.amount_micros, "amount.amount_micros", positive=True)
    validation.amount(request.fee.amount_micros, "fee.amount_micros")
    if request.fee.currency_code not in ("", currency):
        raise InvalidArgument("fee.currency_code", f"must be {currency}")
    key = guards.account_key(account_id, request.idempotency_key or f"top-up:{top_up_id}")
    return TopUpReceipt(
        account_id=account_id,
        top_up_id=top_up_id,
        currency_code=currency,
        amount_micros=request.amount.amount_micros,
        fee_micros=request.fee.amount_micros,
        key=key,
        request_sha256=idempotency.fingerprint(request),
    )
