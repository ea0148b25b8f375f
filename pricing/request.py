"""What a caller asks: one message to price, with the facts the library does not count itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pricing.errors import InvalidRequest
from pricing.provider import ProviderPricing
from pricing.ratecards import CATEGORIES, SERVICE
from pricing.rules import Window


@dataclass(frozen=True, slots=True)
class AuthInternational:
    """A business's eligibility for authentication-international rates.

    From `start`, an authentication message to a recipient whose country differs from the
    business country, in a market with an authentication-international rate, is priced at that
    rate, unless the recipient's country is one of `exception_countries` (ISO codes).
    """

    start: datetime
    exception_countries: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            raise InvalidRequest("auth_international.start must be timezone-aware")


@dataclass(frozen=True, slots=True)
class PriceRequest:
    """One message. Counts are this calendar month's, in the business's time zone.

    monthly_count: charged messages already counted for (portfolio, market, category), or,
        before 2024-11-01, service conversations already opened by the business.
    provider_monthly_count: charged messages already counted for the account's plan.
    time_zone: the business's IANA zone ("Asia/Kolkata") or a fixed offset ("+05:30").
    is_template: None means "template unless the category is service".
    """

    at: datetime
    recipient: str
    category: str
    currency: str
    time_zone: str
    is_template: bool | None = None
    window: Window = Window.NONE
    open_conversations: frozenset[str] = field(default_factory=frozenset)
    monthly_count: int = 0
    business_country: str | None = None
    auth_international: AuthInternational | None = None
    provider: ProviderPricing | None = None
    provider_monthly_count: int = 0

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise InvalidRequest(f"unknown category {self.category!r}")
        if self.is_template is not None and self.is_template == (self.category == SERVICE):
            raise InvalidRequest("templates have a template category; non-templates are service")
        if not isinstance(self.window, Window):
            try:
                object.__setattr__(self, "window", Window(self.window))
            except ValueError:
                raise InvalidRequest(f"unknown window {self.window!r}") from None
        if not isinstance(self.open_conversations, frozenset):
            object.__setattr__(self, "open_conversations", frozenset(self.open_conversations))
        if self.at.utcoffset() is None:
            raise InvalidRequest("at must be a timezone-aware datetime")
        if self.monthly_count < 0 or self.provider_monthly_count < 0:
            raise InvalidRequest("monthly counts cannot be negative")
        unknown = self.open_conversations - CATEGORIES
        if unknown:
            raise InvalidRequest(f"unknown open conversation categories {sorted(unknown)}")
