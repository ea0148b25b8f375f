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
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.errors import BillingError, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import tables
from services.invoicing.adapters.upserts import upsert
from services.invoicing.domain import partner_terms
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.partner_terms import DAYS_USED, ON_REQUEST, BillingChange
from services.invoicing.service import guards, messages
from services.invoicing.service.ports import ChannelCounts, Wallet
from services.invoicing.service.settings import Clock

MAX_PRICE_MICROS = 10**12
# A schedule may start up to a month back (its first cycles are billed at once) or a year ahead.
MAX_START_DAYS_BACK = 31
MAX_START_DAYS_AHEAD = 366
# The date in the last time zone to reach a day (UTC-12): no partner's cycle began later.
LAST_ZONE_BEHIND = dt.timedelta(hours=12)
BILLING_FROM_PB = {
    pb.PARTNER_BILLING_ON_REQUEST: partner_terms.ON_REQUEST,
    pb.PARTNER_BILLING_IN_ADVANCE: partner_terms.IN_ADVANCE,
    pb.PARTNER_BILLING_DAYS_USED: partner_terms.DAYS_USED,
}
BILLING_TO_PB = {value: key for key, value in BILLING_FROM_PB.items()}
Row = Mapping[Any, Any]


class PartnerContracts:
    def __init__(
        self, engine: Engine, wallet: Wallet, channels: ChannelCounts, clock: Clock
    ) -> None:
        self._engine = engine
        self._wallet = wallet
        self._channels = channels
        self._clock = clock

    def set(self, request: pb.SetPartnerContractRequest) -> pb.SetPartnerContractResponse:
        """Operators only: the price, and how the partner is billed from the next cycle on."""
        account_id = validation.require_id(request.account_id, "account_id")
        price = request.price_per_channel_month
        currency = validation.currency(price.currency_code, "price_per_channel_month.currency_code")
        validation.amount(
            price.amount_micros, "price_per_channel_month.amount_micros", positive=True
        )
        if price.amount_micros > MAX_PRICE_MICROS:
            raise InvalidArgument(
                "price_per_channel_month.amount_micros", f"at most {MAX_PRICE_MICROS}"
            )
        billing = _billing(request.billing)
        start = validation.date(request.start_date, "start_date") if request.start_date else None
        idempotency.check_key(request.idempotency_key)
        account = self._wallet.account_terms(account_id)  # NotFound for an unknown account
        if currency != account.currency_code:
            raise InvalidArgument(
                "price_per_channel_month.currency_code",
                f"must be the account's currency, {account.currency_code}",
            )
        today = account.today(self._clock())
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

        def change() -> pb.SetPartnerContractResponse:
            row = contract_row(connection, account_id)
            stored = row["start_date"] if row is not None else None
            schedule_start = _schedule_start(stored, start, today)
            changes = billing_changes(connection, account_id)
            appended = None
            if billing is not None and (schedule_start is not None or billing != ON_REQUEST):
                if schedule_start is None:
                    raise InvalidArgument(
                        "start_date",
                        "is required to bill in advance or by days used: the first day of "
                        "the monthly schedule",
                    )
                if billing == DAYS_USED and _holds_days(connection, account_id):
                    raise FailedPrecondition(_BOUGHT_DAYS, "billing")
                from_cycle = 0
                if stored is not None and stored == schedule_start:
                    from_cycle = partner_terms.first_cycle_of_change(schedule_start, today)
                appended = BillingChange(billing, from_cycle)
            values = {
                "currency_code": currency,
                "price_per_channel_month_micros": price.amount_micros,
                "updated_at": self._clock(),
                "start_date": schedule_start,
            }
            _save(connection, account_id, values, appended)
            if appended is not None:
                changes = [*changes, appended]
            saved = contract_row(connection, account_id)
            if saved is None:
                raise NotFound("no partner contract for this account", "account_id")
            return pb.SetPartnerContractResponse(
                contract=contract_message(account_id, saved, changes, today)
            )

        with self._engine.begin() as connection:
            lock_contract(connection, account_id)
            if not request.idempotency_key:
                return change()  # the same request again sets the same terms
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "SetPartnerContract",
                guards.account_key(account_id, request.idempotency_key),
                request,
                pb.SetPartnerContractResponse,
                change,
            )

    def get(self, request: pb.GetPartnerContractRequest) -> pb.GetPartnerContractResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        with self._engine.connect() as connection:
            row = contract_row(connection, account_id)
            changes = billing_changes(connection, account_id)
        if row is None:
            raise NotFound("no partner contract for this account", "account_id")
        now = self._clock()
        try:
            today = self._wallet.account_terms(account_id).today(now)
        except BillingError:
            today = (now - LAST_ZONE_BEHIND).date()  # shown as of the last zone to reach a day
        return pb.GetPartnerContractResponse(
            contract=contract_message(account_id, row, changes, today)
        )


_BOUGHT_DAYS = (
    "this partner bought days (or has an invoice for days): its channels send only while they "
    "have paid days, so it stays billed on request or in advance"
)


def _billing(value: pb.PartnerBilling.ValueType) -> str | None:
    if value == pb.PARTNER_BILLING_UNSPECIFIED:
        return None
    if value not in BILLING_FROM_PB:
        raise InvalidArgument("billing", f"unknown billing {value}")
    return BILLING_FROM_PB[value]


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


def _save(
    connection: Connection, account_id: str, values: dict[str, Any], change: BillingChange | None
) -> None:
    table = tables.partner_contracts
    upsert(connection, table, table.c.account_id == account_id, {"account_id": account_id}, values)
    if change is not None:
        connection.execute(
            tables.partner_billing_changes.insert().values(
                account_id=account_id, billing=change.billing, from_cycle=change.from_cycle
            )
        )


def lock_contract(connection: Connection, account_id: str) -> None:
    """Take the contract row's write lock as the transaction's first statement (a no-op
    UPDATE: the row's lock on PostgreSQL, the database's write lock on SQLite), so a change of
    billing, a request for days and a billing run never decide on the same reading."""
    table = tables.partner_contracts
    connection.execute(
        table.update()
        .where(table.c.account_id == account_id)
        .values(cycles_billed=table.c.cycles_billed)
    )


def contract_row(connection: Connection, account_id: str) -> Row | None:
    table = tables.partner_contracts
    row = connection.execute(sa.select(table).where(table.c.account_id == account_id)).first()
    return None if row is None else row._mapping


def billing_changes(connection: Connection, account_id: str) -> list[BillingChange]:
    """The partner's changes of billing, in the order they were set."""
    table = tables.partner_billing_changes
    rows = connection.execute(
        sa.select(table.c.billing, table.c.from_cycle)
        .where(table.c.account_id == account_id)
        .order_by(table.c.id)
    ).all()
    return [BillingChange(row.billing, row.from_cycle) for row in rows]


def refuse_days_for_days_used(connection: Connection, account_id: str, now: dt.datetime) -> None:
    """FailedPrecondition for a partner billed by days used, now or from its next cycle (in
    the last time zone to reach a day, so a cycle that ended there only is still counted)."""
    row = contract_row(connection, account_id)
    changes = billing_changes(connection, account_id)
    if row is None or row["start_date"] is None or not changes:
        return
    today = (now - LAST_ZONE_BEHIND).date()
    index = partner_terms.current_cycle_index(row["start_date"], today)
    if DAYS_USED in (partner_terms.billing_of_cycle(changes, index), changes[-1].billing):
        raise FailedPrecondition(
            "this partner is billed for the days its channels used: it buys no days",
            "account_id",
        )


def _holds_days(connection: Connection, account_id: str) -> bool:
    """Whether an invoice of this partner has credited days, or would once paid."""
    table = tables.invoices
    found = connection.execute(
        sa.select(table.c.invoice_id)
        .where(
            table.c.account_id == account_id,
            table.c.kind == Kind.PARTNER_DAYS,
            table.c.days > 0,
            table.c.status != Status.VOID,
        )
        .limit(1)
    ).first()
    return found is not None


def contract_message(
    account_id: str, row: Row, changes: Sequence[BillingChange], today: dt.date
) -> pb.PartnerContract:
    start: dt.date | None = row["start_date"]
    contract = pb.PartnerContract(
        account_id=account_id,
        price_per_channel_month=messages.money(
            row["currency_code"], row["price_per_channel_month_micros"]
        ),
        update_time=messages.timestamp(row["updated_at"]),
        billing=pb.PARTNER_BILLING_ON_REQUEST,
        start_date=messages.date_text(start),
    )
    if start is None:
        return contract
    if today < start:  # nothing is scheduled before the first day
        current, index = ON_REQUEST, -1
    else:
        index = partner_terms.current_cycle_index(start, today)
        current = partner_terms.billing_of_cycle(changes, index)
    following = partner_terms.billing_of_cycle(changes, index + 1)
    contract.billing = BILLING_TO_PB[current]
    if following != current:
        contract.next_billing = BILLING_TO_PB[following]
        contract.next_billing_date = partner_terms.cycle(start, index + 1).start.isoformat()
    return contract
