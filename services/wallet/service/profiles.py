"""Account profiles: validation of what a caller sends, and the view the send path keeps."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pricing
from pricing.calendar import parse_zone
from services.common import validation
from services.common.errors import InvalidArgument
from services.wallet.domain import accounts
from services.wallet.domain.accounts import AccountView, PriceTerms, TopUpFeeRule
from services.wallet.service.commands.profiles import (
    Instant,
    InternationalAuthentication,
    PriceList,
    Profile,
    TopUpFee,
)

MAX_OVERRIDES = 1_000
UPDATABLE = frozenset(
    {
        "display_name",
        "time_zone",
        "business_country",
        "portfolio_id",
        "funding_mode",
        "overdraft_limit_micros",
        "credit_limit_micros",
        "balance_scope",
        "status",
        "price_list",
        "authentication_international",
        "low_balance_threshold_micros",
        "top_up_fee",
    }
)
# Parts that, once named in an update, are kept (empty) even when the change left them unset;
# the others named come back unset: the wallet's defaults again.
KEPT_EMPTY = {
    "price_list": PriceList(),
    "authentication_international": InternationalAuthentication(),
}
MAX_FEE_BASIS_POINTS = 10_000
MAX_FEE_FIXED_MICROS = 10**12
MAX_MARKUP_BASIS_POINTS = 1_000_000  # 10,000 %
MAX_INCLUDED_MESSAGES = 10**12
MODES = frozenset({accounts.PREPAID, accounts.SOFT_LIMIT, accounts.POSTPAID})
SCOPES = frozenset({accounts.SCOPE_ACCOUNT, accounts.SCOPE_CHANNEL})
STATUSES = frozenset({accounts.ACTIVE, accounts.SUSPENDED})
# The range of a valid timestamp: years 1 to 9999.
MIN_SECONDS, MAX_SECONDS = -62_135_596_800, 253_402_300_799
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def normalise(profile: Profile, field: str = "profile") -> Profile:
    """A checked copy with defaults filled in; InvalidArgument names the first bad field."""
    validation.require_id(profile.account_id, f"{field}.account_id")
    validation.text(profile.display_name, f"{field}.display_name", max_length=200)
    validation.currency(profile.currency_code, f"{field}.currency_code")
    time_zone = profile.time_zone or "UTC"
    try:
        parse_zone(time_zone)
    except pricing.InvalidRequest:
        raise InvalidArgument(
            f"{field}.time_zone", f"unknown time zone {validation.quoted(time_zone)}"
        ) from None
    _country(profile.business_country, f"{field}.business_country")
    validation.optional_id(profile.portfolio_id, f"{field}.portfolio_id")
    mode = profile.funding_mode or accounts.PREPAID
    if mode not in MODES:
        raise InvalidArgument(f"{field}.funding_mode", "must be PREPAID, SOFT_LIMIT or POSTPAID")
    validation.amount(profile.overdraft_limit_micros, f"{field}.overdraft_limit_micros")
    if mode != accounts.SOFT_LIMIT and profile.overdraft_limit_micros:
        raise InvalidArgument(
            f"{field}.overdraft_limit_micros", "only soft-limit accounts have an overdraft"
        )
    validation.amount(profile.credit_limit_micros, f"{field}.credit_limit_micros")
    if mode != accounts.POSTPAID and profile.credit_limit_micros:
        raise InvalidArgument(
            f"{field}.credit_limit_micros", "only postpaid accounts have a credit limit"
        )
    scope = profile.balance_scope or accounts.SCOPE_ACCOUNT
    if scope not in SCOPES:
        raise InvalidArgument(f"{field}.balance_scope", "must be ACCOUNT or CHANNEL")
    status = profile.status or accounts.ACTIVE
    if status not in STATUSES:
        raise InvalidArgument(f"{field}.status", "must be ACTIVE or SUSPENDED")
    _price_list(profile.price_list or PriceList(), f"{field}.price_list")
    eligibility = profile.authentication_international
    if eligibility is not None and eligibility.effective_time is not None:
        _instant(eligibility.effective_time, f"{field}.authentication_international.effective_time")
    for country in eligibility.exception_countries if eligibility else ():
        _country(country, f"{field}.authentication_international.exception_countries")
    validation.amount(
        profile.low_balance_threshold_micros or 0, f"{field}.low_balance_threshold_micros"
    )
    _top_up_fee(profile.top_up_fee or TopUpFee(), f"{field}.top_up_fee")
    return replace(
        profile, time_zone=time_zone, funding_mode=mode, balance_scope=scope, status=status
    )


def _top_up_fee(fee: TopUpFee, field: str) -> None:
    validation.amount(fee.basis_points, f"{field}.basis_points")
    if fee.basis_points > MAX_FEE_BASIS_POINTS:
        raise InvalidArgument(f"{field}.basis_points", f"at most {MAX_FEE_BASIS_POINTS} (100 %)")
    validation.amount(fee.fixed_micros, f"{field}.fixed_micros")
    if fee.fixed_micros > MAX_FEE_FIXED_MICROS:
        raise InvalidArgument(f"{field}.fixed_micros", f"at most {MAX_FEE_FIXED_MICROS}")


def _instant(instant: Instant, field: str) -> None:
    """One a google.protobuf.Timestamp may hold."""
    if not MIN_SECONDS <= instant.seconds <= MAX_SECONDS:
        raise InvalidArgument(field, "must be between 0001-01-01 and 9999-12-31")
    if not 0 <= instant.nanos < 1_000_000_000:
        raise InvalidArgument(field, "nanos must be 0 to 999,999,999")


def _country(code: str, field: str) -> None:
    if code and not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise InvalidArgument(
            field, f"expected an ISO 3166-1 alpha-2 code, got {validation.quoted(code)}"
        )


def _price_list(prices: PriceList, field: str) -> None:
    if len(prices.overrides) > MAX_OVERRIDES:
        raise InvalidArgument(f"{field}.overrides", f"at most {MAX_OVERRIDES}")
    for index, override in enumerate(prices.overrides):
        where = f"{field}.overrides[{index}]"
        validation.text(override.market, f"{where}.market", required=True, max_length=100)
        if override.category not in pricing.CATEGORIES:
            raise InvalidArgument(
                f"{where}.category", f"unknown category {validation.quoted(override.category)}"
            )
        validation.amount(override.price_micros, f"{where}.price_micros")
    validation.amount(prices.fee_per_message_micros, f"{field}.fee_per_message_micros")
    validation.amount(
        prices.markup_basis_points, f"{field}.markup_basis_points", maximum=MAX_MARKUP_BASIS_POINTS
    )
    validation.amount(
        prices.included_messages_per_month,
        f"{field}.included_messages_per_month",
        maximum=MAX_INCLUDED_MESSAGES,
    )


def view_of(profile: Profile, version: int) -> AccountView:
    prices = profile.price_list or PriceList()
    eligibility = profile.authentication_international
    starts = None
    if eligibility is not None and eligibility.eligible:
        starts = _moment(eligibility.effective_time or Instant(0, 0))
    return AccountView(
        account_id=profile.account_id,
        version=version,
        currency=profile.currency_code,
        time_zone=profile.time_zone or "UTC",
        business_country=profile.business_country,
        funding_mode=profile.funding_mode,
        overdraft_limit_micros=profile.overdraft_limit_micros,
        credit_limit_micros=profile.credit_limit_micros,
        balance_scope=profile.balance_scope,
        status=profile.status,
        terms=PriceTerms(
            overrides=tuple((o.market, o.category, o.price_micros) for o in prices.overrides),
            fee_per_message_micros=prices.fee_per_message_micros,
            markup_basis_points=prices.markup_basis_points,
            included_messages_per_month=prices.included_messages_per_month,
        ),
        auth_international_from=starts,
        auth_international_exceptions=frozenset(
            eligibility.exception_countries if eligibility else ()
        ),
        low_balance_threshold_micros=profile.low_balance_threshold_micros,
        top_up_fee=(
            TopUpFeeRule(profile.top_up_fee.basis_points, profile.top_up_fee.fixed_micros)
            if profile.top_up_fee is not None
            else None
        ),
    )


def _moment(instant: Instant) -> dt.datetime:
    """A checked instant as a datetime in UTC, to the microsecond (nanoseconds cut off)."""
    return EPOCH + dt.timedelta(seconds=instant.seconds, microseconds=instant.nanos // 1000)


def merge(current: Profile, change: Profile, mask: str) -> Profile:
    """The current profile with the fields named in `mask` replaced by `change`'s."""
    names = [name.strip() for name in mask.split(",") if name.strip()]
    if not names:
        raise InvalidArgument("update_mask", "is required: name the fields to replace")
    replaced: dict[str, Any] = {}
    for name in names:
        if name not in UPDATABLE:
            raise InvalidArgument("update_mask", f"{name!r} cannot be updated")
        value = getattr(change, name)
        if value is None and name in KEPT_EMPTY:
            value = KEPT_EMPTY[name]
        replaced[name] = value
    return replace(current, **replaced)
