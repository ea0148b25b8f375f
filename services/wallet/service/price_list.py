"""What an account pays per message: its own prices over the rate card in force.

Customer-facing: every figure is the account's price in its currency. Meta's cost and the
provider's margin stay inside the wallet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

import pricing
from services.common import validation
from services.common.categories import MODEL_ENUMS
from services.common.errors import FailedPrecondition, InvalidArgument
from services.wallet.domain.accounts import AccountView
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.quotes import category_name, provider_pricing

MAX_MARKET_FILTER_LENGTH = 100


class PriceList:
    def __init__(
        self,
        accounts: Accounts,
        engine: pricing.PricingEngine,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._accounts = accounts
        self._engine = engine
        self._catalog = engine.catalog
        self._clock = clock

    def prices(self, request: pb.GetPriceListRequest) -> pb.GetPriceListResponse:
        view = require_account(self._accounts, request.account_id)
        market_filter = validation.text(
            request.market, "market", max_length=MAX_MARKET_FILTER_LENGTH
        ).casefold()
        zone = ZoneInfo(view.time_zone)
        if request.as_of_date:
            day = validation.date(request.as_of_date, "as_of_date")
        else:
            day = self._clock().astimezone(zone).date()
        at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        period = self._catalog.period_at(at, view.time_zone)
        card = period.cards.get(view.currency)
        if card is None or period.rule is None:
            reason = period.gaps.get(view.currency, f"no {view.currency} rate card is in force")
            raise FailedPrecondition(reason, "as_of_date")
        provider = provider_pricing(view)
        included = view.terms.included_messages_per_month
        markets = []
        for market in sorted(card.rates):
            if market_filter and market_filter not in market.casefold():
                continue
            prices = []
            for category, rate_micros in card.rates[market].items():
                if rate_micros is None:
                    continue
                margin = provider.margin(rate_micros, market, category, included).margin_micros
                prices.append(
                    pb.CategoryPrice(category=category, price=_money(view, rate_micros + margin))
                )
            markets.append(pb.MarketPrices(market=market, prices=prices))
        return pb.GetPriceListResponse(
            currency_code=view.currency,
            rate_card_effective_date=card.effective.isoformat(),
            pricing_model=MODEL_ENUMS.get(
                period.rule.model, category_pb2.PRICING_MODEL_UNSPECIFIED
            ),
            markets=markets,
            as_of_date=day.isoformat(),
        )

    def quote(self, request: pb.QuotePriceRequest) -> pb.QuotePriceResponse:
        view = require_account(self._accounts, request.account_id)
        is_template = request.category != category_pb2.CATEGORY_SERVICE
        category = category_name(request.category, is_template, "category")
        if not request.recipient:
            raise InvalidArgument("recipient", "is required")
        at = request.send_time.ToDatetime(dt.UTC) if request.HasField("send_time") else None
        at = at or self._clock()
        period = self._catalog.period_at(at, view.time_zone)
        rule = period.rule
        try:
            decision = self._engine.price(
                pricing.PriceRequest(
                    at=at,
                    recipient=request.recipient,
                    category=category,
                    currency=view.currency,
                    time_zone=view.time_zone,
                    monthly_count=rule.free_service_conversations_per_month if rule else 0,
                    business_country=view.business_country or None,
                    provider=provider_pricing(view),
                    provider_monthly_count=view.terms.included_messages_per_month,
                )
            )
        except pricing.InvalidNumber as error:
            raise InvalidArgument("recipient", str(error)) from None
        except pricing.NoRateInForce as error:
            raise FailedPrecondition(str(error), "send_time") from None
        except pricing.PricingError as error:
            raise InvalidArgument("recipient", str(error)) from None
        card = period.cards.get(view.currency)
        return pb.QuotePriceResponse(
            market=decision.market,
            category=decision.category,
            price=_money(view, decision.price_micros),
            billable=decision.billable,
            pricing_model=MODEL_ENUMS.get(
                decision.pricing_model, category_pb2.PRICING_MODEL_UNSPECIFIED
            ),
            rate_card_effective_date=card.effective.isoformat() if card else "",
        )


def _money(view: AccountView, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=view.currency, amount_micros=micros)
