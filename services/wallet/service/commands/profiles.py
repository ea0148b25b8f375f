"""An account's profile as plain values: what a caller sends, what is kept, what is answered.

A part left unset is None (a price list, an eligibility, a timestamp, a threshold or a top-up
fee the caller never gave), so a profile kept and read back is answered exactly as it was
kept. Choices are the domain's names; "" when the caller left one unspecified."""

from __future__ import annotations

from dataclasses import dataclass

UNRECOGNISED = "unrecognised"  # a choice this version does not know (refused when checked)


@dataclass(frozen=True, slots=True)
class Instant:
    """A point in time as seconds and nanoseconds since the epoch, both kept as given."""

    seconds: int
    nanos: int

    @classmethod
    def of_ms(cls, epoch_ms: int) -> Instant:
        return cls(epoch_ms // 1000, (epoch_ms % 1000) * 1_000_000)


@dataclass(frozen=True, slots=True)
class PriceOverride:
    market: str
    category: str
    price_micros: int


@dataclass(frozen=True, slots=True)
class PriceList:
    overrides: tuple[PriceOverride, ...] = ()
    fee_per_message_micros: int = 0
    markup_basis_points: int = 0
    included_messages_per_month: int = 0


@dataclass(frozen=True, slots=True)
class InternationalAuthentication:
    """Whether authentication messages to other countries are priced as international, from
    when, and the countries excepted."""

    eligible: bool = False
    effective_time: Instant | None = None
    exception_countries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopUpFee:
    basis_points: int = 0
    fixed_micros: int = 0


@dataclass(frozen=True, slots=True)
class Profile:
    account_id: str = ""
    display_name: str = ""
    currency_code: str = ""
    time_zone: str = ""
    business_country: str = ""
    portfolio_id: str = ""
    funding_mode: str = ""  # prepaid | soft | postpaid
    overdraft_limit_micros: int = 0
    balance_scope: str = ""  # account | channel
    status: str = ""  # active | suspended
    price_list: PriceList | None = None
    authentication_international: InternationalAuthentication | None = None
    create_time: Instant | None = None
    update_time: Instant | None = None
    low_balance_threshold_micros: int | None = None  # None: the wallet's default
    top_up_fee: TopUpFee | None = None  # None: the wallet's default
    credit_limit_micros: int = 0


@dataclass(frozen=True, slots=True)
class StoredProfile:
    profile: Profile
    version: int
