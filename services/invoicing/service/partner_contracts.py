"""Partner contracts (operators): the price per channel-month a partner's channels are billed
at, and how they are billed — on request, in advance or by days used (domain/partner_terms.py).

A partner billed by days used buys no days. The wallet makes an account that ever bought days
wait for paid days before each send; a days-used partner's channels send while registered, so
it must never become such an account: the switch to days used is refused for a partner that
bought days (or holds an invoice that would credit some), and a days-used partner's request
for days is refused (partner_days.py asks `refuse_days_for_days_used` first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import BillingError, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.domain import partner_terms
from services.invoicing.domain.partner_terms import DAYS_USED, ON_REQUEST, BillingChange
from services.invoicing.service.commands.partners import (
    ContractTerms,
    PartnerContract,
    SetPartnerContract,
)
from services.invoicing.service.ports import ChannelCounts, Wallet
from services.invoicing.service.ports.billing import BillingWork, BillingWorks

MAX_PRICE_MICROS = 10**12
# A schedule may start up to a month back (its first cycles are billed at once) or a year ahead.
MAX_START_DAYS_BACK = 31
MAX_START_DAYS_AHEAD = 366
# The date in the last time zone to reach a day (UTC-12): no partner's cycle began later.
LAST_ZONE_BEHIND = dt.timedelta(hours=12)


class PartnerContracts:
    def __init__(
        self, works: BillingWorks, wallet: Wallet, channels: ChannelCounts, clock: Clock
    ) -> None:
        self._works = works
        self._wallet = wallet
        self._channels = channels
        self._clock = clock

    def set(self, command: SetPartnerContract) -> ContractTerms:
        """Operators only: the price, and how the partner is billed from the next cycle on."""
        account_id, billing, start = command.account_id, command.billing, command.start_date
        account = self._wallet.account_terms(account_id)  # NotFound for an unknown account
        if command.currency_code != account.currency_code:
            raise InvalidArgument(
                "price_per_channel_month.currency_code",
                f"must be the account's currency, {account.currency_code}",
            )
        today = account.today(moment(self._clock))
        if start is not None and not (
            today - dt.timedelta(days=MAX_START_DAYS_BACK)
            <= start
            <= today + dt.timedelta(days=MAX_START_DAYS_AHEAD)
        ):
            raise InvalidArgument(
                "start_date",
                f"must be at most {MAX_START_DAYS_BACK} days back and "
                f"{MAX_START_DAYS_AHEAD} days ahead of today ({today.isoformat()})",
            )
        if (
            billing == DAYS_USED
            and self._channels.count_channel_days(account_id, today, today).days_account
        ):
            raise FailedPrecondition(_BOUGHT_DAYS, "billing")

        def change(work: BillingWork) -> ContractTerms:
            stored = work.contracts.get(account_id)
            stored_start = stored.start_date if stored is not None else None
            schedule_start = _schedule_start(stored_start, start, today)
            changes = work.contracts.billing_changes(account_id)
            appended = None
            if billing is not None and (schedule_start is not None or billing != ON_REQUEST):
                if schedule_start is None:
                    raise InvalidArgument(
                        "start_date",
                        "is required to bill in advance or by days used: the first day of "
                        "the monthly schedule",
                    )
                if billing == DAYS_USED and work.contracts.holds_days(account_id):
                    raise FailedPrecondition(_BOUGHT_DAYS, "billing")
                from_cycle = 0
                if stored_start is not None and stored_start == schedule_start:
                    from_cycle = partner_terms.first_cycle_of_change(schedule_start, today)
                appended = BillingChange(billing, from_cycle)
            contract = PartnerContract(
                account_id=account_id,
                currency_code=command.currency_code,
                price_per_channel_month_micros=command.price_per_channel_month_micros,
                updated_at=moment(self._clock),
                start_date=schedule_start,
            )
            work.contracts.save(contract, appended)
            if appended is not None:
                changes = [*changes, appended]
            saved = work.contracts.get(account_id)
            if saved is None:
                raise NotFound("no partner contract for this account", "account_id")
            return terms(saved, changes, today)

        with self._works() as work:
            work.contracts.lock(account_id)
            if not command.idempotency_key:
                answer = change(work)  # the same request again sets the same terms
            else:
                answer = replies.once(
                    work.contracts_set,
                    "SetPartnerContract",
                    command.idempotency_key,
                    command.request_sha256,
                    lambda: change(work),
                )
            work.commit()
        return answer

    def get(self, account_id: str) -> ContractTerms:
        with self._works() as work:
            contract = work.contracts.get(account_id)
            changes = work.contracts.billing_changes(account_id)
        if contract is None:
            raise NotFound("no partner contract for this account", "account_id")
        now = moment(self._clock)
        try:
            today = self._wallet.account_terms(account_id).today(now)
        except BillingError:
            today = (now - LAST_ZONE_BEHIND).date()  # shown as of the last zone to reach a day
        return terms(contract, changes, today)


_BOUGHT_DAYS = (
    "this partner bought days (or has an invoice for days): its channels send only while they "
    "have paid days, so it stays billed on request or in advance"
)


def _schedule_start(
    stored: dt.date | None, asked: dt.date | None, today: dt.date
) -> dt.date | None:
    """The schedule's first day: the one asked for, unless the schedule already began."""
    if asked is None or asked == stored:
        return stored
    if stored is not None and stored <= today:
        raise FailedPrecondition(
            f"the schedule began on {stored.isoformat()}: its anchor day is fixed", "start_date"
        )
    return asked


def refuse_days_for_days_used(
    contract: PartnerContract | None, changes: Sequence[BillingChange], now: dt.datetime
) -> None:
    """FailedPrecondition for a partner billed by days used, now or from its next cycle (in
    the last time zone to reach a day, so a cycle that ended there only is still counted)."""
    if contract is None or contract.start_date is None or not changes:
        return
    today = (now - LAST_ZONE_BEHIND).date()
    index = partner_terms.current_cycle_index(contract.start_date, today)
    if DAYS_USED in (partner_terms.billing_of_cycle(changes, index), changes[-1].billing):
        raise FailedPrecondition(
            "this partner is billed for the days its channels used: it buys no days",
            "account_id",
        )


def terms(
    contract: PartnerContract, changes: Sequence[BillingChange], today: dt.date
) -> ContractTerms:
    shown = ContractTerms(
        account_id=contract.account_id,
        currency_code=contract.currency_code,
        price_per_channel_month_micros=contract.price_per_channel_month_micros,
        update_time=contract.updated_at,
        billing=ON_REQUEST,
        start_date=contract.start_date,
    )
    start = contract.start_date
    if start is None:
        return shown
    if today < start:  # nothing is scheduled before the first day
        current, index = ON_REQUEST, -1
    else:
        index = partner_terms.current_cycle_index(start, today)
        current = partner_terms.billing_of_cycle(changes, index)
    following = partner_terms.billing_of_cycle(changes, index + 1)
    if following == current:
        return replace(shown, billing=current)
    next_date = partner_terms.cycle(start, index + 1).start
    return replace(shown, billing=current, next_billing=following, next_billing_date=next_date)
