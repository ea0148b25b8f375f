"""Candidate prices of one send, computed in Python so that Lua only picks by open windows.

The estimate is an upper bound: the first-tier list rate, and no plan-included message
assumed; what metering finally charges can be less, never more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

import pricing
from pricing.markets import e164_digits
from pricing.rules import CONVERSATION
from services.common.categories import CATEGORY_NAMES
from services.common.errors import InvalidArgument
from services.wallet.domain.accounts import AccountView

AUTHENTICATION_FAMILY = ("authentication", "authentication-international")
NO_RATE = -1
MAX_CACHED_QUOTES = 50_000


class PriceEncoding(Protocol):
    """A price as the send record keeps it and the answer carries it (an encoded
    PriceBreakdown)."""

    def price(self, decision: pricing.PriceDecision) -> bytes: ...

    def no_rate(self, reason: str) -> bytes: ...


class Candidates(NamedTuple):
    """Lua arguments: (total, encoded PriceBreakdown) for paid, service window, entry point and
    open conversation, and which conversation categories make the message free."""

    args: tuple[int | bytes, ...]
    conversation_categories: tuple[str, ...]


def category_name(category: int, is_template: bool, field: str = "category") -> str:
    name = CATEGORY_NAMES.get(category)
    if name is None:
        raise InvalidArgument(
            field,
            "must be MARKETING, UTILITY, AUTHENTICATION, AUTHENTICATION_INTERNATIONAL or SERVICE",
        )
    if is_template != (name != "service"):
        raise InvalidArgument(
            "is_template", "templates have a template category; non-templates are SERVICE"
        )
    return name


def recipient_digits(recipient: str, field: str = "recipient") -> str:
    try:
        return e164_digits(recipient)
    except pricing.InvalidNumber as error:
        raise InvalidArgument(field, str(error)) from None


class Quoter:
    """Prices per (account version, period, destination, category), cached in this process."""

    def __init__(self, engine: pricing.PricingEngine, encoding: PriceEncoding) -> None:
        self._engine = engine
        self._encoding = encoding
        self._catalog = engine.catalog
        self._cache: dict[tuple[object, ...], Candidates] = {}

    def candidates(self, view: AccountView, digits: str, category: str, at: datetime) -> Candidates:
        return self.candidates_each(view, (digits,), category, at)[0]

    def candidates_each(
        self, view: AccountView, recipients: Sequence[str], category: str, at: datetime
    ) -> list[Candidates]:
        """Candidates per recipient (digits), all sent at `at`: one period, one lookup each."""
        period = self._catalog.period_at(at, view.time_zone)
        international = (
            view.auth_international_from is not None and at >= view.auth_international_from
        )
        head = (view.account_id, view.version, period.start)
        destination = self._catalog.markets.destination
        found: list[Candidates] = []
        for digits in recipients:
            key = (*head, destination(digits, period.market_version), category, international)
            candidates = self._cache.get(key)
            if candidates is None:
                candidates = self._compute(view, "+" + digits, category, at, period)
                if len(self._cache) >= MAX_CACHED_QUOTES:
                    self._cache.clear()
                self._cache[key] = candidates
            found.append(candidates)
        return found

    def _compute(
        self, view: AccountView, recipient: str, category: str, at: datetime, period: pricing.Period
    ) -> Candidates:
        rule = period.rule
        provider = provider_pricing(view)
        international = None
        if view.auth_international_from is not None:
            international = pricing.AuthInternational(
                view.auth_international_from, view.auth_international_exceptions
            )
        conversation = rule is not None and rule.model == CONVERSATION
        if category == "service":
            open_categories = tuple(sorted(CATEGORY_NAMES.values())) if conversation else ()
        elif category in AUTHENTICATION_FAMILY:
            open_categories = AUTHENTICATION_FAMILY if conversation else ()
        else:
            open_categories = (category,) if conversation else ()

        def quote(window: pricing.Window, opened: frozenset[str]) -> tuple[int, bytes]:
            request = pricing.PriceRequest(
                at=at,
                recipient=recipient,
                category=category,
                currency=view.currency,
                time_zone=view.time_zone,
                window=window,
                open_conversations=opened,
                monthly_count=rule.free_service_conversations_per_month if rule else 0,
                business_country=view.business_country or None,
                auth_international=international,
                provider=provider,
                provider_monthly_count=view.terms.included_messages_per_month,
            )
            try:
                decision = self._engine.price(request)
            except pricing.NoRateInForce as error:
                return NO_RATE, self._encoding.no_rate(str(error))
            return decision.price_micros, self._encoding.price(decision)

        paid = quote(pricing.Window.NONE, frozenset())
        service = quote(pricing.Window.SERVICE, frozenset())
        entry = quote(pricing.Window.FREE_ENTRY_POINT, frozenset())
        opened = (
            quote(pricing.Window.NONE, frozenset(open_categories[:1])) if conversation else paid
        )
        return Candidates((*paid, *service, *entry, *opened), open_categories)


def provider_pricing(view: AccountView) -> pricing.ProviderPricing:
    """The account's prices on top of Meta's, as the pricing library takes them."""
    return pricing.ProviderPricing(
        price_list={(m, c): p for m, c, p in view.terms.overrides},
        fee_per_message_micros=view.terms.fee_per_message_micros,
        markup_bps=view.terms.markup_basis_points,
        included_messages_per_month=view.terms.included_messages_per_month,
    )
