"""A kept profile (and a kept CreateAccount or UpdateAccount answer) read back and encoded again
gives the same bytes, and a profile checked, merged and dated by the plain rules is kept as the
same bytes the rules on the messages themselves kept: defaults, unset parts and parts set empty
alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from billing.wallet.v1 import account_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2 as service_pb
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.common import idempotency
from services.wallet.adapters import profile_messages as messages
from services.wallet.service import funding, profiles
from services.wallet.service.commands.accounts import FundingChange
from services.wallet.service.commands.profiles import Instant, Profile

NOW_MS = 1_767_225_600_123
DEFAULTED = ("low_balance_threshold_micros", "top_up_fee")
SUBMESSAGES = ("price_list", "authentication_international", "top_up_fee")


def _full() -> pb.AccountProfile:
    return pb.AccountProfile(
        account_id="acme",
        display_name="Acme Ltd",
        currency_code="USD",
        time_zone="Asia/Kolkata",
        business_country="IN",
        portfolio_id="portfolio-1",
        funding_mode=pb.FUNDING_MODE_SOFT_LIMIT,
        overdraft_limit_micros=5_000_000,
        balance_scope=pb.BALANCE_SCOPE_CHANNEL,
        status=pb.ACCOUNT_STATUS_SUSPENDED,
        price_list=pb.PriceList(
            overrides=[
                pb.PriceOverride(market="IN", category="marketing", price_micros=9_000),
                pb.PriceOverride(market="US", category="utility", price_micros=0),
            ],
            fee_per_message_micros=100,
            markup_basis_points=250,
            included_messages_per_month=1_000,
        ),
        authentication_international=pb.AuthenticationInternational(
            eligible=True,
            effective_time=Timestamp(seconds=1_700_000_000, nanos=123_456_789),
            exception_countries=["AE", "GB"],
        ),
        create_time=Timestamp(seconds=1_700_000_000, nanos=5_000_000),
        update_time=Timestamp(seconds=1_700_000_100),
        low_balance_threshold_micros=0,
        top_up_fee=pb.TopUpFee(basis_points=300, fixed_micros=0),
    )


def _sparse() -> list[pb.AccountProfile]:
    """Profiles with parts unset, set empty, or set to their zero values."""
    empty_parts = pb.AccountProfile(account_id="a", currency_code="EUR")
    empty_parts.price_list.SetInParent()
    empty_parts.authentication_international.SetInParent()
    empty_parts.top_up_fee.SetInParent()
    empty_parts.create_time.SetInParent()
    zero_time = pb.AccountProfile(account_id="b", currency_code="EUR")
    zero_time.authentication_international.effective_time.SetInParent()
    return [
        pb.AccountProfile(),
        pb.AccountProfile(account_id="a", currency_code="USD"),
        empty_parts,
        zero_time,
        pb.AccountProfile(account_id="c", currency_code="USD", low_balance_threshold_micros=0),
        pb.AccountProfile(
            account_id="d",
            currency_code="USD",
            funding_mode=pb.FUNDING_MODE_POSTPAID,
            credit_limit_micros=1,
            authentication_international=pb.AuthenticationInternational(eligible=True),
        ),
        _full(),
    ]


def _every_field() -> pb.AccountProfile:
    """Every field of the profile and its parts set to a value not its default (not a profile
    the checks would let through)."""
    profile = _full()
    profile.credit_limit_micros = 1
    profile.top_up_fee.fixed_micros = 1
    return profile


def _fields_set(message: Message, seen: set[str]) -> None:
    for field, value in message.ListFields():
        seen.add(field.full_name)
        values = value if field.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                _fields_set(item, seen)


def _fields_declared(descriptor: Descriptor, seen: set[str]) -> None:
    for field in descriptor.fields:
        seen.add(field.full_name)
        if field.message_type is not None and field.message_type.full_name.startswith("billing."):
            _fields_declared(field.message_type, seen)


def test_the_round_trip_covers_every_field_of_the_profile() -> None:
    """A field added to the profile's messages and not to the plain profile fails here."""
    declared: set[str] = set()
    _fields_declared(pb.AccountProfile.DESCRIPTOR, declared)
    given: set[str] = set()
    _fields_set(_every_field(), given)
    assert declared <= given
    data = _every_field().SerializeToString(deterministic=True)
    assert messages.profile_bytes(messages.profile_from_bytes(data)) == data


@pytest.mark.parametrize("kept", [*_sparse(), _every_field()])
def test_a_kept_profile_read_back_gives_the_same_bytes(kept: pb.AccountProfile) -> None:
    data = kept.SerializeToString(deterministic=True)
    assert messages.profile_bytes(messages.profile_from_bytes(data)) == data
    created = service_pb.CreateAccountResponse(account=kept).SerializeToString(deterministic=True)
    assert messages.created_bytes(messages.created_of(created)) == created
    updated = service_pb.UpdateAccountResponse(account=kept).SerializeToString(deterministic=True)
    assert messages.updated_bytes(messages.updated_of(updated)) == updated


def _checked_as_messages(profile: pb.AccountProfile) -> pb.AccountProfile:
    """What checking a profile did to the message: defaults filled in, nothing else."""
    clean = pb.AccountProfile()
    clean.CopyFrom(profile)
    clean.time_zone = clean.time_zone or "UTC"
    if clean.funding_mode == pb.FUNDING_MODE_UNSPECIFIED:
        clean.funding_mode = pb.FUNDING_MODE_PREPAID
    if clean.balance_scope == pb.BALANCE_SCOPE_UNSPECIFIED:
        clean.balance_scope = pb.BALANCE_SCOPE_ACCOUNT
    if clean.status == pb.ACCOUNT_STATUS_UNSPECIFIED:
        clean.status = pb.ACCOUNT_STATUS_ACTIVE
    return clean


def _merged_as_messages(
    current: pb.AccountProfile, change: pb.AccountProfile, names: list[str]
) -> pb.AccountProfile:
    merged = pb.AccountProfile()
    merged.CopyFrom(current)
    for name in names:
        if name in DEFAULTED and not change.HasField(name):  # type: ignore[arg-type]
            merged.ClearField(name)  # type: ignore[arg-type]
        elif name in SUBMESSAGES:
            getattr(merged, name).CopyFrom(getattr(change, name))
        else:
            setattr(merged, name, getattr(change, name))
    return merged


def _requests() -> list[pb.AccountProfile]:
    """Profiles a caller may send to create an account."""
    return [profile for profile in _sparse() if profile.account_id]


def _as_kept_by_messages(request: pb.AccountProfile) -> pb.AccountProfile:
    kept = _checked_as_messages(request)
    kept.create_time.FromMilliseconds(NOW_MS)
    kept.update_time.FromMilliseconds(NOW_MS)
    return kept


def _as_kept(request: pb.AccountProfile) -> Profile:
    at = Instant.of_ms(NOW_MS)
    checked = profiles.normalise(messages.profile_of(request))
    return replace(checked, create_time=at, update_time=at)


@pytest.mark.parametrize("request_profile", _requests())
def test_a_new_account_is_kept_as_the_same_bytes(request_profile: pb.AccountProfile) -> None:
    old = _as_kept_by_messages(request_profile).SerializeToString(deterministic=True)
    assert messages.profile_bytes(_as_kept(request_profile)) == old


CHANGES = [
    (pb.AccountProfile(), "price_list"),
    (pb.AccountProfile(), "authentication_international"),
    (pb.AccountProfile(), "top_up_fee,low_balance_threshold_micros"),
    (pb.AccountProfile(low_balance_threshold_micros=0), "low_balance_threshold_micros"),
    (pb.AccountProfile(top_up_fee=pb.TopUpFee()), "top_up_fee"),
    (pb.AccountProfile(display_name="", business_country=""), "display_name, business_country"),
    (pb.AccountProfile(status=pb.ACCOUNT_STATUS_SUSPENDED), "status"),
    (
        pb.AccountProfile(
            funding_mode=pb.FUNDING_MODE_POSTPAID,
            credit_limit_micros=7,
            authentication_international=pb.AuthenticationInternational(
                effective_time=Timestamp(seconds=5, nanos=1)
            ),
        ),
        "funding_mode,overdraft_limit_micros,credit_limit_micros,authentication_international",
    ),
    (_full(), ",".join(sorted(profiles.UPDATABLE))),
]


@pytest.mark.parametrize("request_profile", _requests())
@pytest.mark.parametrize(("change", "mask"), CHANGES)
def test_an_update_is_kept_as_the_same_bytes(
    request_profile: pb.AccountProfile, change: pb.AccountProfile, mask: str
) -> None:
    names = [name.strip() for name in mask.split(",") if name.strip()]
    old = _checked_as_messages(
        _merged_as_messages(_as_kept_by_messages(request_profile), change, names)
    )
    old.update_time.FromMilliseconds(NOW_MS + 1)
    current = messages.profile_from_bytes(messages.profile_bytes(_as_kept(request_profile)))
    new = profiles.normalise(profiles.merge(current, messages.profile_of(change), mask))
    new = replace(new, update_time=Instant.of_ms(NOW_MS + 1))
    assert messages.profile_bytes(new) == old.SerializeToString(deterministic=True)
    answer = service_pb.UpdateAccountResponse(account=old).SerializeToString(deterministic=True)
    assert messages.updated_bytes(new) == answer


@pytest.mark.parametrize(
    ("mode", "limit_micros", "profile"),
    [
        ("prepaid", 0, pb.AccountProfile(funding_mode=pb.FUNDING_MODE_PREPAID)),
        (
            "soft",
            5_000,
            pb.AccountProfile(
                funding_mode=pb.FUNDING_MODE_SOFT_LIMIT, overdraft_limit_micros=5_000
            ),
        ),
        ("soft", 0, pb.AccountProfile(funding_mode=pb.FUNDING_MODE_SOFT_LIMIT)),
        (
            "postpaid",
            9_000,
            pb.AccountProfile(funding_mode=pb.FUNDING_MODE_POSTPAID, credit_limit_micros=9_000),
        ),
    ],
)
def test_a_scheduled_switch_is_kept_under_the_fingerprint_of_its_request(
    mode: str, limit_micros: int, profile: pb.AccountProfile
) -> None:
    day = dt.date(2026, 3, 1)
    request = service_pb.UpdateAccountRequest(
        account_id="acme",
        profile=profile,
        update_mask="credit_limit_micros,funding_mode,overdraft_limit_micros",
        funding_effective_date="2026-03-01",
        idempotency_key="funding:acme:2026-03-01",
    )
    change = FundingChange(day, mode, limit_micros)
    switch = funding.switch("acme", change, messages.update_fingerprint)
    assert switch.request_sha256 == idempotency.fingerprint(request)
    assert messages.update_fingerprint(switch) == idempotency.fingerprint(request)
