"""The payments' plain results as protobuf responses (a card added or removed is answered as it
is kept: adapters/card_messages.py)."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import validation
from services.invoicing.adapters.billing_messages import money, timestamp
from services.invoicing.adapters.card_messages import card_message
from services.invoicing.domain import funding_states as states
from services.invoicing.service.commands.payments import (
    CardOnFile,
    CardSetupStarted,
    FundingView,
    FundsEstimate,
    FundsQuote,
)

STATES = {
    states.CHARGING: invoice_pb2.FUNDING_STATE_CHARGING,
    states.REQUIRES_ACTION: invoice_pb2.FUNDING_STATE_REQUIRES_ACTION,
    states.PAID: invoice_pb2.FUNDING_STATE_PAID,
    states.CREDITED: invoice_pb2.FUNDING_STATE_CREDITED,
    states.COMPLETED: invoice_pb2.FUNDING_STATE_COMPLETED,
    states.DECLINED: invoice_pb2.FUNDING_STATE_DECLINED,
    states.EXPIRED: invoice_pb2.FUNDING_STATE_EXPIRED,
}


def default_set(card: CardOnFile) -> pb.SetDefaultPaymentMethodResponse:
    return pb.SetDefaultPaymentMethodResponse(payment_method=card_message(card))


def cards_listed(cards: list[CardOnFile]) -> pb.ListPaymentMethodsResponse:
    return pb.ListPaymentMethodsResponse(payment_methods=[card_message(card) for card in cards])


def setup_started(setup: CardSetupStarted) -> pb.StartCardSetupResponse:
    return pb.StartCardSetupResponse(
        setup_id=setup.setup_id,
        client_secret=setup.client_secret,
        provider=setup.provider,
        publishable_key=setup.publishable_key,
    )


def funds_quoted(quote: FundsQuote) -> pb.QuoteFundsResponse:
    currency = quote.currency_code
    message = invoice_pb2.FundsQuote(
        quote_id=quote.quote_id,
        account_id=quote.account_id,
        channel_id=quote.channel_id,
        display_phone_number=quote.display_phone_number,
        amount=money(currency, quote.amount_micros),
        fee=money(currency, quote.fee_micros),
        total=money(currency, quote.amount_micros + quote.fee_micros),
        expire_time=timestamp(quote.expire_at),
    )
    return pb.QuoteFundsResponse(quote=message)


def funds_estimated(estimate: FundsEstimate) -> pb.EstimateFundsNeededResponse:
    response = pb.EstimateFundsNeededResponse(
        days=estimate.days,
        from_date=estimate.from_date.isoformat(),
        to_date=estimate.to_date.isoformat(),
    )
    cost = estimate.cost
    if cost is None:
        return response
    currency = cost.currency_code
    response.consumption.CopyFrom(money(currency, cost.consumption_micros))
    response.amount.CopyFrom(money(currency, cost.amount_micros))
    response.fee.CopyFrom(money(currency, cost.fee_micros))
    response.total.CopyFrom(money(currency, cost.amount_micros + cost.fee_micros))
    return response


def funding_message(funding: FundingView) -> invoice_pb2.Funding:
    currency = funding.currency_code
    return invoice_pb2.Funding(
        funding_id=funding.funding_id,
        account_id=funding.account_id,
        source=funding.source,
        channel_id=funding.channel_id,
        amount=money(currency, funding.amount_micros),
        fee=money(currency, funding.fee_micros),
        total=money(currency, funding.amount_micros + funding.fee_micros),
        state=STATES[funding.state],
        failure_reason=funding.failure_reason,
        payment_id=funding.payment_id,
        top_up_id=funding.top_up_id,
        receipt_invoice_id=funding.receipt_invoice_id,
        action_client_secret=funding.action_secret,
        create_time=timestamp(funding.created_at),
        update_time=timestamp(funding.updated_at),
        quote_id=funding.quote_id,
    )


def fundings_listed(page: list[FundingView], offset: int, limit: int) -> pb.ListFundingsResponse:
    return pb.ListFundingsResponse(
        fundings=[funding_message(funding) for funding in page],
        next_page_token=validation.next_page_token(offset, limit, len(page)),
    )
