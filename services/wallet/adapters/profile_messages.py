"""Account profiles as the messages they are kept, published and answered as: a profile read
back and encoded again gives the same bytes."""

from __future__ import annotations

from billing.wallet.v1 import account_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2 as service_pb
from google.protobuf.timestamp_pb2 import Timestamp

from services.common import idempotency
from services.wallet.domain import accounts
from services.wallet.service.commands.accounts import UpdateAccount
from services.wallet.service.commands.profiles import (
    UNRECOGNISED,
    Instant,
    InternationalAuthentication,
    PriceList,
    PriceOverride,
    Profile,
    TopUpFee,
)

MODES = {
    "": pb.FUNDING_MODE_UNSPECIFIED,
    accounts.PREPAID: pb.FUNDING_MODE_PREPAID,
    accounts.SOFT_LIMIT: pb.FUNDING_MODE_SOFT_LIMIT,
    accounts.POSTPAID: pb.FUNDING_MODE_POSTPAID,
}
SCOPES = {
    "": pb.BALANCE_SCOPE_UNSPECIFIED,
    accounts.SCOPE_ACCOUNT: pb.BALANCE_SCOPE_ACCOUNT,
    accounts.SCOPE_CHANNEL: pb.BALANCE_SCOPE_CHANNEL,
}
STATUSES = {
    "": pb.ACCOUNT_STATUS_UNSPECIFIED,
    accounts.ACTIVE: pb.ACCOUNT_STATUS_ACTIVE,
    accounts.SUSPENDED: pb.ACCOUNT_STATUS_SUSPENDED,
}
MODE_NAMES = {number: name for name, number in MODES.items()}
SCOPE_NAMES = {number: name for name, number in SCOPES.items()}
STATUS_NAMES = {number: name for name, number in STATUSES.items()}
EVENT_TYPE = pb.AccountChanged.DESCRIPTOR.full_name


def profile_of(message: pb.AccountProfile) -> Profile:
    return Profile(
        account_id=message.account_id,
        display_name=message.display_name,
        currency_code=message.currency_code,
        time_zone=message.time_zone,
        business_country=message.business_country,
        portfolio_id=message.portfolio_id,
        funding_mode=MODE_NAMES.get(message.funding_mode, UNRECOGNISED),
        overdraft_limit_micros=message.overdraft_limit_micros,
        balance_scope=SCOPE_NAMES.get(message.balance_scope, UNRECOGNISED),
        status=STATUS_NAMES.get(message.status, UNRECOGNISED),
        price_list=(_price_list_of(message.price_list) if message.HasField("price_list") else None),
        authentication_international=(
            _eligibility_of(message.authentication_international)
            if message.HasField("authentication_international")
            else None
        ),
        create_time=_instant_of(message, "create_time"),
        update_time=_instant_of(message, "update_time"),
        low_balance_threshold_micros=(
            message.low_balance_threshold_micros
            if message.HasField("low_balance_threshold_micros")
            else None
        ),
        top_up_fee=(
            TopUpFee(message.top_up_fee.basis_points, message.top_up_fee.fixed_micros)
            if message.HasField("top_up_fee")
            else None
        ),
        credit_limit_micros=message.credit_limit_micros,
    )


def _price_list_of(message: pb.PriceList) -> PriceList:
    return PriceList(
        overrides=tuple(
            PriceOverride(o.market, o.category, o.price_micros) for o in message.overrides
        ),
        fee_per_message_micros=message.fee_per_message_micros,
        markup_basis_points=message.markup_basis_points,
        included_messages_per_month=message.included_messages_per_month,
    )


def _eligibility_of(message: pb.AuthenticationInternational) -> InternationalAuthentication:
    return InternationalAuthentication(
        eligible=message.eligible,
        effective_time=_instant_of(message, "effective_time"),
        exception_countries=tuple(message.exception_countries),
    )


def _instant_of(
    message: pb.AccountProfile | pb.AuthenticationInternational, name: str
) -> Instant | None:
    if not message.HasField(name):  # type: ignore[arg-type]
        return None
    stamp: Timestamp = getattr(message, name)
    return Instant(stamp.seconds, stamp.nanos)


def profile_message(profile: Profile) -> pb.AccountProfile:
    message = pb.AccountProfile(
        account_id=profile.account_id,
        display_name=profile.display_name,
        currency_code=profile.currency_code,
        time_zone=profile.time_zone,
        business_country=profile.business_country,
        portfolio_id=profile.portfolio_id,
        funding_mode=MODES[profile.funding_mode],
        overdraft_limit_micros=profile.overdraft_limit_micros,
        balance_scope=SCOPES[profile.balance_scope],
        status=STATUSES[profile.status],
        credit_limit_micros=profile.credit_limit_micros,
    )
    if profile.price_list is not None:
        prices = profile.price_list
        message.price_list.SetInParent()
        for override in prices.overrides:
            message.price_list.overrides.add(
                market=override.market,
                category=override.category,
                price_micros=override.price_micros,
            )
        message.price_list.fee_per_message_micros = prices.fee_per_message_micros
        message.price_list.markup_basis_points = prices.markup_basis_points
        message.price_list.included_messages_per_month = prices.included_messages_per_month
    if profile.authentication_international is not None:
        eligibility = profile.authentication_international
        kept = message.authentication_international
        kept.SetInParent()
        kept.eligible = eligibility.eligible
        _set_instant(kept.effective_time, eligibility.effective_time)
        kept.exception_countries.extend(eligibility.exception_countries)
    _set_instant(message.create_time, profile.create_time)
    _set_instant(message.update_time, profile.update_time)
    if profile.low_balance_threshold_micros is not None:
        message.low_balance_threshold_micros = profile.low_balance_threshold_micros
    if profile.top_up_fee is not None:
        message.top_up_fee.SetInParent()
        message.top_up_fee.basis_points = profile.top_up_fee.basis_points
        message.top_up_fee.fixed_micros = profile.top_up_fee.fixed_micros
    return message


def _set_instant(stamp: Timestamp, instant: Instant | None) -> None:
    if instant is not None:
        stamp.SetInParent()
        stamp.seconds = instant.seconds
        stamp.nanos = instant.nanos


def profile_bytes(profile: Profile) -> bytes:
    """The profile as kept beside the account."""
    return profile_message(profile).SerializeToString(deterministic=True)


def profile_from_bytes(data: bytes) -> Profile:
    return profile_of(pb.AccountProfile.FromString(data))


def account_changed(event_id: str, profile: Profile) -> pb.AccountChanged:
    return pb.AccountChanged(event_id=event_id, profile=profile_message(profile))


def created_bytes(profile: Profile) -> bytes:
    """A CreateAccount answer as kept for its retries."""
    answer = service_pb.CreateAccountResponse(account=profile_message(profile))
    return answer.SerializeToString(deterministic=True)


def created_of(data: bytes) -> Profile:
    return profile_of(service_pb.CreateAccountResponse.FromString(data).account)


def updated_bytes(profile: Profile) -> bytes:
    """An UpdateAccount answer as kept for its retries."""
    answer = service_pb.UpdateAccountResponse(account=profile_message(profile))
    return answer.SerializeToString(deterministic=True)


def updated_of(data: bytes) -> Profile:
    return profile_of(service_pb.UpdateAccountResponse.FromString(data).account)


def update_request(command: UpdateAccount) -> service_pb.UpdateAccountRequest:
    return service_pb.UpdateAccountRequest(
        account_id=command.account_id,
        profile=profile_message(command.profile),
        update_mask=command.update_mask,
        idempotency_key=command.idempotency_key,
        funding_effective_date=command.funding_effective_date,
    )


def update_fingerprint(command: UpdateAccount) -> str:
    """The fingerprint of the request a change made by the wallet itself (a scheduled switch
    of funding terms) is kept under, as if a caller had sent it."""
    return idempotency.fingerprint(update_request(command))
