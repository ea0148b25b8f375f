"""Account profiles: validation of what a caller sends, and the view the send path keeps."""

from __future__ import annotations

from datetime import UTC

from billing.wallet.v1 import account_pb2 as pb

import pricing
from pricing.calendar import parse_zone
from services.common import validation
from services.common.errors import InvalidArgument
from services.wallet.domain import accounts
from services.wallet.domain.accounts import AccountView, PriceTerms, TopUpFeeRule

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
# Fields whose absence means "the wallet's default" (env), not zero.
DEFAULTED = frozenset({"low_balance_threshold_micros", "top_up_fee"})
MAX_FEE_BASIS_POINTS = 10_000
MAX_FEE_FIXED_MICROS = 10**12
MAX_MARKUP_BASIS_POINTS = 1_000_000  # 10,000 %
MAX_INCLUDED_MESSAGES = 10**12
MODES = {
    pb.FUNDING_MODE_PREPAID: accounts.PREPAID,
    pb.FUNDING_MODE_SOFT_LIMIT: accounts.SOFT_LIMIT,
    pb.FUNDING_MODE_POSTPAID: accounts.POSTPAID,
}
MODE_ENUMS = {name: value for value, name in MODES.items()}
SCOPES = {
    pb.BALANCE_SCOPE_ACCOUNT: accounts.SCOPE_ACCOUNT,
    pb.BALANCE_SCOPE_CHANNEL: accounts.SCOPE_CHANNEL,
}
STATUSES = {
    pb.ACCOUNT_STATUS_ACTIVE: accounts.ACTIVE,
    pb.ACCOUNT_STATUS_SUSPENDED: accounts.SUSPENDED,
}


def normalise(profile: pb.AccountProfile, field: str = "profile") -> pb.AccountProfile:
    """A checked copy with defaults filled in; InvalidArgument names the first bad field."""
    clean = pb.AccountProfile()
    clean.CopyFrom(profile)
    validation.require_id(clean.account_id, f"{field}.account_id")
    validation.text(clean.display_name, f"{field}.display_name", max_length=200)
    validation.currency(clean.currency_code, f"{field}.currency_code")
    clean.time_zone = clean.time_zone or "UTC"
    try:
        parse_zone(clean.time_zone)
    except pricing.InvalidRequest:
        raise InvalidArgument(
            f"{field}.time_zone", f"unknown time zone {validation.quoted(clean.time_zone)}"
        ) from None
    _country(clean.business_country, f"{field}.business_country")
    validation.optional_id(clean.portfolio_id, f"{field}.portfolio_id")
    if clean.funding_mode == pb.FUNDING_MODE_UNSPECIFIED:
        clean.funding_mode = pb.FUNDING_MODE_PREPAID
    if clean.funding_mode not in MODES:
        raise InvalidArgument(f"{field}.funding_mode", "must be PREPAID, SOFT_LIMIT or POSTPAID")
    validation.amount(clean.overdraft_limit_micros, f"{field}.overdraft_limit_micros")
    if clean.funding_mode != pb.FUNDING_MODE_SOFT_LIMIT and clean.overdraft_limit_micros:
        raise InvalidArgument(
            f"{field}.overdraft_limit_micros", "only soft-limit accounts have an overdraft"
        )
    validation.amount(clean.credit_limit_micros, f"{field}.credit_limit_micros")
    if clean.funding_mode != pb.FUNDING_MODE_POSTPAID and clean.credit_limit_micros:
        raise InvalidArgument(
            f"{field}.credit_limit_micros", "only postpaid accounts have a credit limit"
        )
    if clean.balance_scope == pb.BALANCE_SCOPE_UNSPECIFIED:
        clean.balance_scope = pb.BALANCE_SCOPE_ACCOUNT
    if clean.balance_scope not in SCOPES:
        raise InvalidArgument(f"{field}.balance_scope", "must be ACCOUNT or CHANNEL")
    if clean.status == pb.ACCOUNT_STATUS_UNSPECIFIED:
        clean.status = pb.ACCOUNT_STATUS_ACTIVE
    if clean.status not in STATUSES:
        raise InvalidArgument(f"{field}.status", "must be ACTIVE or SUSPENDED")
    _price_list(clean.price_list, f"{field}.price_list")
    for country in clean.authentication_international.exception_countries:
        _country(country, f"{field}.authentication_international.exception_countries")
    validation.amount(clean.low_balance_threshold_micros, f"{field}.low_balance_threshold_micros")
    _top_up_fee(clean.top_up_fee, f"{field}.top_up_fee")
    return clean


def _top_up_fee(fee: pb.TopUpFee, field: str) -> None:
    validation.amount(fee.basis_points, f"{field}.basis_points")
    if fee.basis_points > MAX_FEE_BASIS_POINTS:
        raise InvalidArgument(f"{field}.basis_points", f"at most {MAX_FEE_BASIS_POINTS} (100 %)")
    validation.amount(fee.fixed_micros, f"{field}.fixed_micros")
    if fee.fixed_micros > MAX_FEE_FIXED_MICROS:
        raise InvalidArgument(f"{field}.fixed_micros", f"at most {MAX_FEE_FIXED_MICROS}")


def _country(code: str, field: str) -> None:
    if code and not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise InvalidArgument(
            field, f"expected an ISO 3166-1 alpha-2 code, got {validation.quoted(code)}"
        )


def _price_list(prices: pb.PriceList, field: str) -> None:
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


def view_of(profile: pb.AccountProfile, version: int) -> AccountView:
    prices = profile.price_list
    eligibility = profile.authentication_international
    starts = None
    if eligibility.eligible:
        starts = eligibility.effective_time.ToDatetime(tzinfo=UTC)
    return AccountView(
        account_id=profile.account_id,
        version=version,
        currency=profile.currency_code,
        time_zone=profile.time_zone or "UTC",
        business_country=profile.business_country,
        funding_mode=MODES[profile.funding_mode],
        overdraft_limit_micros=profile.overdraft_limit_micros,
        credit_limit_micros=profile.credit_limit_micros,
        balance_scope=SCOPES[profile.balance_scope],
        status=STATUSES[profile.status],
        terms=PriceTerms(
            overrides=tuple((o.market, o.category, o.price_micros) for o in prices.overrides),
            fee_per_message_micros=prices.fee_per_message_micros,
            markup_basis_points=prices.markup_basis_points,
            included_messages_per_month=prices.included_messages_per_month,
        ),
        auth_international_from=starts,
        auth_international_exceptions=frozenset(eligibility.exception_countries),
        low_balance_threshold_micros=(
            profile.low_balance_threshold_micros
            if profile.HasField("low_balance_threshold_micros")
            else None
        ),
        top_up_fee=(
            TopUpFeeRule(profile.top_up_fee.basis_points, profile.top_up_fee.fixed_micros)
            if profile.HasField("top_up_fee")
            else None
        ),
    )


def merge(current: pb.AccountProfile, change: pb.AccountProfile, mask: str) -> pb.AccountProfile:
    """The current profile with the fields named in `mask` replaced by `change`'s."""
    names = [name.strip() for name in mask.split(",") if name.strip()]
    if not names:
        raise InvalidArgument("update_mask", "is required: name the fields to replace")
    merged = pb.AccountProfile()
    merged.CopyFrom(current)
    for name in names:
        if name not in UPDATABLE:
            raise InvalidArgument("update_mask", f"{name!r} cannot be updated")
        if name in DEFAULTED and not change.HasField(name):  # type: ignore[arg-type]
            merged.ClearField(name)  # type: ignore[arg-type]  # unset: the default again
        elif name in ("price_list", "authentication_international", "top_up_fee"):
            getattr(merged, name).CopyFrom(getattr(change, name))
        else:
            setattr(merged, name, getattr(change, name))
    return merged
