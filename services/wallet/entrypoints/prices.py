"""Prices, windows and price lists in protobuf: the encoded PriceBreakdown the send records
keep, and the OpenWindow, GetPriceList and QuotePrice requests and responses."""

from __future__ import annotations

from billing.common.v1 import category_pb2, money_pb2
from billing.metering.v1 import events_pb2
from billing.wallet.v1 import authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

import pricing
from services.common.categories import MODEL_ENUMS, TYPE_ENUMS
from services.wallet.service.commands.send import (
    OpenWindow,
    PriceListAnswer,
    PriceListQuery,
    PriceQuote,
    QuotePrice,
)

WINDOW_KINDS = {
    funds_pb2.WINDOW_KIND_CUSTOMER_SERVICE: "customer_service",
    funds_pb2.WINDOW_KIND_FREE_ENTRY_POINT: "free_entry_point",
    funds_pb2.WINDOW_KIND_CONVERSATION: "conversation",
}


class PriceBreakdowns:
    """The send path's prices as encoded PriceBreakdown messages."""

    def price(self, decision: pricing.PriceDecision) -> bytes:
        return breakdown(decision).SerializeToString()

    def no_rate(self, reason: str) -> bytes:
        return authorise_pb2.PriceBreakdown(rule=reason).SerializeToString()


def breakdown(decision: pricing.PriceDecision) -> authorise_pb2.PriceBreakdown:
    currency = decision.currency
    return authorise_pb2.PriceBreakdown(
        meta_cost=_money(currency, decision.meta_cost_micros),
        provider_margin=_money(currency, decision.margin_micros),
        total=_money(currency, decision.price_micros),
        market=decision.market,
        pricing_model=MODEL_ENUMS.get(
            decision.pricing_model, category_pb2.PRICING_MODEL_UNSPECIFIED
        ),
        pricing_type=TYPE_ENUMS.get(decision.pricing_type, category_pb2.PRICING_TYPE_UNSPECIFIED),
        billable=decision.billable,
        rule=decision.reason,
        rate_micros=decision.rate_micros,
    )


def window_command(request: pb.OpenWindowRequest) -> OpenWindow:
    window = request.window
    return OpenWindow(
        window.account_id,
        window.channel_id,
        window.contact,
        WINDOW_KINDS.get(window.kind, ""),
        window.category,
        window.expire_time.ToMilliseconds() if window.HasField("expire_time") else None,
    )


def window_response(request: pb.OpenWindowRequest, in_force_ms: int) -> pb.OpenWindowResponse:
    answer = pb.OpenWindowResponse()
    answer.window.CopyFrom(request.window)
    if in_force_ms:
        answer.window.expire_time.FromMilliseconds(in_force_ms)
    return answer


def window_event(event: events_pb2.WindowChanged) -> OpenWindow:
    """A metering window event as the window it opens (its expiry always given)."""
    return OpenWindow(
        event.account_id,
        event.channel_id,
        event.contact,
        event.kind,
        event.category,
        event.expire_time.ToMilliseconds(),
    )


def price_list_query(request: pb.GetPriceListRequest) -> PriceListQuery:
    return PriceListQuery(request.account_id, request.market, request.as_of_date)


def price_list_response(answer: PriceListAnswer) -> pb.GetPriceListResponse:
    currency = answer.currency
    return pb.GetPriceListResponse(
        currency_code=currency,
        rate_card_effective_date=answer.effective_date,
        pricing_model=MODEL_ENUMS.get(answer.pricing_model, category_pb2.PRICING_MODEL_UNSPECIFIED),
        markets=[
            pb.MarketPrices(
                market=market.market,
                prices=[
                    pb.CategoryPrice(
                        category=price.category, price=_money(currency, price.price_micros)
                    )
                    for price in market.prices
                ],
            )
            for market in answer.markets
        ],
        as_of_date=answer.as_of_date,
    )


def quote_query(request: pb.QuotePriceRequest) -> QuotePrice:
    send_time = None
    if request.HasField("send_time"):
        send_time = (request.send_time.seconds, request.send_time.nanos)
    return QuotePrice(request.account_id, request.category, request.recipient, send_time)


def quote_response(quote: PriceQuote) -> pb.QuotePriceResponse:
    return pb.QuotePriceResponse(
        market=quote.market,
        category=quote.category,
        price=_money(quote.currency, quote.price_micros),
        billable=quote.billable,
        pricing_model=MODEL_ENUMS.get(quote.pricing_model, category_pb2.PRICING_MODEL_UNSPECIFIED),
        rate_card_effective_date=quote.effective_date,
    )


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)
