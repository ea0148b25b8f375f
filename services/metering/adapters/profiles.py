"""The wallet's AccountProfile (protobuf) as metering's Account."""

from __future__ import annotations

import datetime as dt

from billing.wallet.v1 import account_pb2

from pricing import AuthInternational, ProviderPricing
from services.metering.domain.accounts import Account

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def account_from_profile(profile: account_pb2.AccountProfile) -> Account:
    terms = profile.price_list
    provider = None
    if profile.HasField("price_list"):
        provider = ProviderPricing(
            price_list={(o.market, o.category): o.price_micros for o in terms.overrides},
            fee_per_message_micros=terms.fee_per_message_micros,
            markup_bps=terms.markup_basis_points,
            included_messages_per_month=terms.included_messages_per_month,
        )
    international = None
    eligibility = profile.authentication_international
    if eligibility.eligible:
        start = EPOCH
        if eligibility.HasField("effective_time"):
            start = eligibility.effective_time.ToDatetime(tzinfo=dt.UTC)
        international = AuthInternational(
            start=start, exception_countries=frozenset(eligibility.exception_countries)
        )
    return Account(
        account_id=profile.account_id,
        currency=profile.currency_code,
        time_zone=profile.time_zone or "UTC",
        portfolio_id=profile.portfolio_id or profile.account_id,
        business_country=profile.business_country or None,
        provider=provider,
        auth_international=international,
    )
