"""The wallet's AccountChanged events (billing.wallet.accounts) as account changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from billing.wallet.v1 import account_pb2

from services.common import validation
from services.common.errors import InvalidArgument
from services.metering.domain.accounts import zone
from services.metering.service.accounts import Accounts
from services.metering.service.commands import AccountChange

log = logging.getLogger(__name__)

EVENT_TYPE = account_pb2.AccountChanged.DESCRIPTOR.full_name


class AccountEvents:
    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts

    def on_entries(self, entries: Sequence[tuple[bytes, Mapping[bytes, bytes]]]) -> None:
        """Entries of billing.wallet.accounts; one that cannot be applied raises (retried,
        then set aside as a dead letter)."""
        for entry_id, fields in entries:
            self.on_stream_entry(entry_id.decode(), fields)

    def on_stream_entry(self, entry_id: str, fields: Mapping[bytes, bytes]) -> None:
        if fields.get(b"type", b"").decode() != EVENT_TYPE:
            log.warning("skipped entry of another type", extra={"entry": entry_id})
            return
        changed = account_pb2.AccountChanged.FromString(fields.get(b"event", b""))
        self._accounts.apply(account_change(changed, entry_id))


def account_change(changed: account_pb2.AccountChanged, fallback_id: str = "") -> AccountChange:
    profile = changed.profile
    validation.require_id(profile.account_id, "profile.account_id")
    validation.currency(profile.currency_code, "profile.currency_code")
    try:
        zone(profile.time_zone or "UTC")
    except ValueError as error:
        raise InvalidArgument("profile.time_zone", str(error)) from None
    return AccountChange(
        event_id=changed.event_id or fallback_id,
        account_id=profile.account_id,
        currency_code=profile.currency_code,
        time_zone=profile.time_zone or "UTC",
        portfolio_id=profile.portfolio_id or profile.account_id,
        update_us=profile.update_time.seconds * 1_000_000 + profile.update_time.nanos // 1_000,
        profile=profile.SerializeToString(deterministic=True),
    )
