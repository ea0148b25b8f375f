"""Auto-recharge (360dialog auto-renewal): a threshold and an amount per balance; once per
crossing below the threshold, with a cool-off and a cap per calendar month, the wallet asks
invoicing to charge the default card (a RechargeRequested event through its outbox, written
under the account's lock with the recharge it asks for). Invoicing charges, credits the
balance by TopUp with the attempt's key and answers on its event stream; RechargeOutcomes
applies the answers. The wallet never calls invoicing."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2, recharges_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common import currencies, event_streams, idempotency, metrics, outbox, validation
from services.common.clock import Clock
from services.common.errors import InvalidArgument
from services.wallet.adapters import tables
from services.wallet.domain import recharges as life
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView
from services.wallet.service.account_lock import lock_account
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.alerts import RECHARGE_FAILED, RECHARGE_HELD, BalanceAlerts
from services.wallet.service.funds import MAX_TOP_UP_MICROS, Funds

log = logging.getLogger(__name__)
MAX_COOL_OFF_S = 31 * 86_400
MAX_PER_MONTH = 1_000
RECHARGES_STREAM = event_streams.WALLET_RECHARGES.name
Balance = tuple[str, str, str]  # (account, channel, currency)


@dataclass(frozen=True, slots=True)
class Rule:
    account_id: str
    channel_id: str
    currency: str
    enabled: bool
    threshold_micros: int
    amount_micros: int
    cool_off_s: int
    max_per_month: int


class AutoRecharges:
    def __init__(
        self,
        engine: Engine,
        accounts: Accounts,
        funds: Funds,
        retry_s: float,
        alerts: BalanceAlerts,
        clock: Clock,
    ) -> None:
        """retry_s: a request left unanswered this long is published again (same key)."""
        self._alerts = alerts
        self._clock = clock
        self._engine = engine
        self._accounts = accounts
        self._funds = funds
        self._retry_ms = int(retry_s * 1000)

    def set(self, request: pb.SetAutoRechargeRequest) -> pb.SetAutoRechargeResponse:
        view = require_account(self._accounts, request.account_id)
        rule = _checked(view, request.auto_recharge)
        values = {
            "currency_code": rule.currency,
            "enabled": rule.enabled,
            "threshold_micros": rule.threshold_micros,
            "amount_micros": rule.amount_micros,
            "cool_off_seconds": rule.cool_off_s,
            "max_per_month": rule.max_per_month,
            "updated_ms": self._clock.now_ms(),
        }

        def write() -> pb.SetAutoRechargeResponse:
            _upsert(connection, view.account_id, rule.channel_id, values)
            return pb.SetAutoRechargeResponse(auto_recharge=_message(rule))

        with self._engine.begin() as connection:
            if not request.idempotency_key:
                return write()  # a PUT: the same request again changes nothing
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                f"SetAutoRecharge:{view.account_id}",
                request.idempotency_key,
                request,
                pb.SetAutoRechargeResponse,
                write,
            )

    def get(self, request: pb.GetAutoRechargeRequest) -> pb.GetAutoRechargeResponse:
        view = require_account(self._accounts, request.account_id)
        channel_id = _channel(view, request.channel_id, "channel_id")
        found = self.rules_for([(view.account_id, channel_id, view.currency)])
        rule = found.get((view.account_id, channel_id, view.currency))
        if rule is None:
            rule = Rule(view.account_id, channel_id, view.currency, False, 0, 0, 0, 0)
        return pb.GetAutoRechargeResponse(auto_recharge=_message(rule))

    def list_rules(self, request: pb.ListAutoRechargesRequest) -> pb.ListAutoRechargesResponse:
        """Every rule the account has, enabled or not (one per balance at most)."""
        view = require_account(self._accounts, request.account_id)
        table = tables.auto_recharges
        query = (
            sa.select(table)
            .where(table.c.account_id == view.account_id)
            .order_by(table.c.channel_id, table.c.currency_code)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return pb.ListAutoRechargesResponse(auto_recharges=[_message(_rule(r)) for r in rows])

    def rules_for(self, balances: Iterable[Balance]) -> dict[Balance, Rule]:
        """The rules of these balances, in one query."""
        wanted = set(balances)
        accounts = sorted({account for account, _c, _cur in wanted})
        if not accounts:
            return {}
        table = tables.auto_recharges
        with self._engine.connect() as connection:
            rows = (
                connection.execute(sa.select(table).where(table.c.account_id.in_(accounts)))
                .mappings()
                .all()
            )
        rules = {}
        for row in rows:
            key = (row["account_id"], row["channel_id"], row["currency_code"])
            if key in wanted:
                rules[key] = _rule(row)
        return rules

    def fire(self, view: AccountView, rule: Rule, crossing_ms: int) -> bool:
        """Record the recharge of one crossing, once: asked of invoicing now, or held for the
        cool-off or the monthly cap (fire_due asks once they allow it). Under the account's
        lock, so that concurrent sends on any number of processes decide on one reading."""
        now_ms = self._clock.now_ms()
        fee = currencies.round_half_up_to_minor_unit(
            self._funds.fee_micros(view, rule.amount_micros), rule.currency
        )
        recharges = tables.recharges.c
        with self._engine.begin() as connection:
            lock_account(connection, rule.account_id)
            existing = connection.execute(
                sa.select(recharges.recharge_id).where(
                    *_balance(rule.account_id, rule.channel_id, rule.currency),
                    recharges.crossing_ms == crossing_ms,
                )
            ).first()
            if existing is not None:
                return True
            allowed_ms = _allowed_from_ms(connection, view, rule, now_ms)
            held = allowed_ms > now_ms
            row = {
                "recharge_id": uuid.uuid4().hex,
                "account_id": rule.account_id,
                "channel_id": rule.channel_id,
                "currency_code": rule.currency,
                "crossing_ms": crossing_ms,
                "amount_micros": rule.amount_micros,
                "fee_micros": fee,
                "state": life.HELD if held else life.REQUESTED,
                "top_up_id": None,
                "problem": life.HELD_PROBLEM if held else "",
                "created_ms": now_ms,
                "updated_ms": now_ms,
                "attempts": 0 if held else 1,
                "next_attempt_ms": allowed_ms if held else None,
            }
            connection.execute(tables.recharges.insert().values(**row))
            if held:  # the customer hears why no recharge came yet
                self._alerts.add(
                    connection,
                    RECHARGE_HELD,
                    rule.account_id,
                    rule.channel_id,
                    rule.currency,
                    0,
                    crossing_ms,
                    recharge_micros=rule.amount_micros,
                    problem=life.HELD_PROBLEM,
                )
            else:
                _request(connection, row, 1, now_ms)
        return True

    def fire_due(self, limit: int) -> int:
        """The loop's pass: recharges held back or declined whose time has come, with no
        further send needed. A held one whose balance went back above the threshold ends."""
        recharges = tables.recharges.c
        now_ms = self._clock.now_ms()
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.recharges)
                    .where(
                        recharges.state.in_(life.WAITING),
                        recharges.next_attempt_ms <= now_ms,
                    )
                    .order_by(recharges.next_attempt_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return sum(self._fire_again(row, now_ms) for row in rows)

    def _fire_again(self, row: RowMapping, now_ms: int) -> bool:
        view = require_account(self._accounts, row["account_id"])
        balance = (row["account_id"], row["channel_id"], row["currency_code"])
        rule = self.rules_for([balance]).get(balance)
        skip = ""
        if rule is None or not rule.enabled:
            skip = "auto-recharge was switched off"
        elif row["state"] == life.HELD and self._available(row) >= rule.threshold_micros:
            skip = "the balance is back above the threshold"
        table = tables.recharges
        with self._engine.begin() as connection:
            lock_account(connection, row["account_id"])
            now = _recharge(connection, row["recharge_id"])
            if now is None or now["state"] != row["state"]:
                return False  # another process took it
            if skip:
                _update(
                    connection, row, now_ms, state=life.SKIPPED, problem=skip, next_attempt_ms=None
                )
                return True
            if row["state"] == life.HELD and rule is not None:
                allowed_ms = _allowed_from_ms(connection, view, rule, now_ms, row)
                if allowed_ms > now_ms:
                    _update(connection, row, now_ms, next_attempt_ms=allowed_ms)
                    return False
            attempt = int(now["attempts"]) + 1
            connection.execute(
                table.update()
                .where(table.c.recharge_id == row["recharge_id"])
                .values(
                    state=life.REQUESTED,
                    attempts=attempt,
                    next_attempt_ms=None,
                    problem="",
                    updated_ms=now_ms,
                )
            )
            _request(connection, now, attempt, now_ms)
        return True

    def resume(self, limit: int) -> int:
        """The sweeper: ask again (same key, so never charged twice) for recharges invoicing
        has not answered within retry_s, e.g. a request it set aside after its retries; after
        UNANSWERED_MS the recharge fails, with an alert (an answer that still comes stands)."""
        recharges = tables.recharges.c
        now_ms = self._clock.now_ms()
        cutoff = now_ms - self._retry_ms
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.recharges)
                    .where(
                        recharges.state.in_((life.REQUESTED, life.CHARGING)),
                        recharges.updated_ms <= cutoff,
                    )
                    .order_by(recharges.updated_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        asked = 0
        for row in rows:
            with self._engine.begin() as connection:
                lock_account(connection, row["account_id"])
                now = _recharge(connection, row["recharge_id"])
                if now is None or now["state"] != row["state"]:
                    continue
                if now["updated_ms"] != row["updated_ms"]:
                    continue
                attempt = max(int(now["attempts"]), 1)
                if now_ms - _requested_ms(connection, now, attempt) >= life.UNANSWERED_MS:
                    _update(
                        connection,
                        now,
                        now_ms,
                        state=life.FAILED,
                        problem=life.UNANSWERED_PROBLEM,
                        next_attempt_ms=None,
                    )
                    metrics.instruments().recharges.add(1, {"outcome": "unanswered"})
                    self._alerts.add(
                        connection,
                        RECHARGE_FAILED,
                        str(now["account_id"]),
                        str(now["channel_id"]),
                        str(now["currency_code"]),
                        0,
                        int(now["crossing_ms"]),
                        recharge_micros=int(now["amount_micros"]),
                        problem=life.UNANSWERED_PROBLEM,
                    )
                    continue
                _update(connection, now, now_ms, state=life.REQUESTED, attempts=attempt)
                _request(connection, now, attempt, now_ms)
                asked += 1
        return asked

    def list(self, request: pb.ListRechargesRequest) -> pb.ListRechargesResponse:
        """Every crossing's recharge: state, amount, fee, and each attempt with its outcome."""
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        table = tables.recharges
        attempts = tables.recharge_attempts
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(table)
                    .where(table.c.account_id == view.account_id)
                    .order_by(table.c.created_ms.desc(), table.c.recharge_id)
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
            history: dict[str, list[RowMapping]] = {row["recharge_id"]: [] for row in rows}
            if history:
                for attempt in (
                    connection.execute(
                        sa.select(attempts)
                        .where(attempts.c.recharge_id.in_(list(history)))
                        .order_by(attempts.c.attempt)
                    )
                    .mappings()
                    .all()
                ):
                    history[attempt["recharge_id"]].append(attempt)
        return pb.ListRechargesResponse(
            recharges=[_recharge_message(row, history[row["recharge_id"]]) for row in rows],
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def _available(self, row: RowMapping) -> int:
        balance = (row["currency_code"], row["channel_id"])
        answer = self._funds.balance(
            pb.GetBalanceRequest(account_id=row["account_id"], channel_id=row["channel_id"])
        )
        for held in answer.balances:
            money = held.kind == funds_pb2.ASSET_KIND_MONEY
            if money and (held.currency_code, held.channel_id) == balance:
                return int(held.available_micros)
        return 0


def _balance(account_id: str, channel_id: str, currency: str) -> tuple[Any, ...]:
    recharges = tables.recharges.c
    return (
        recharges.account_id == account_id,
        recharges.channel_id == channel_id,
        recharges.currency_code == currency,
    )


def _recharge(connection: Connection, recharge_id: str) -> RowMapping | None:
    table = tables.recharges
    return (
        connection.execute(sa.select(table).where(table.c.recharge_id == recharge_id))
        .mappings()
        .first()
    )


def _update(connection: Connection, row: Mapping[Any, Any], now_ms: int, **values: Any) -> None:
    table = tables.recharges
    connection.execute(
        table.update()
        .where(table.c.recharge_id == row["recharge_id"])
        .values(updated_ms=now_ms, **values)
    )


def _requested_ms(connection: Connection, row: Mapping[Any, Any], attempt: int) -> int:
    """When this attempt was first asked for (the recharge's creation for older rows)."""
    attempts = tables.recharge_attempts
    found = connection.execute(
        sa.select(attempts.c.requested_ms).where(
            attempts.c.idempotency_key == life.attempt_key(str(row["recharge_id"]), attempt)
        )
    ).scalar()
    return int(found if found is not None else row["created_ms"])


def _request(connection: Connection, row: Mapping[Any, Any], attempt: int, now_ms: int) -> None:
    """Ask invoicing to charge this attempt: the attempt's row and its event, in the caller's
    transaction (the event leaves through the outbox once it commits)."""
    key = life.attempt_key(str(row["recharge_id"]), attempt)
    attempts = tables.recharge_attempts
    known = connection.execute(
        sa.select(attempts.c.idempotency_key).where(attempts.c.idempotency_key == key)
    ).first()
    if known is None:
        connection.execute(
            attempts.insert().values(
                idempotency_key=key,
                recharge_id=row["recharge_id"],
                account_id=row["account_id"],
                attempt=attempt,
                state=life.ATTEMPT_REQUESTED,
                problem="",
                payment_reference="",
                top_up_id=None,
                requested_ms=now_ms,
                updated_ms=now_ms,
            )
        )
    currency = str(row["currency_code"])
    event = recharges_pb2.RechargeRequested(
        event_id=uuid.uuid4().hex,
        recharge_id=row["recharge_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        amount=money_pb2.Money(currency_code=currency, amount_micros=row["amount_micros"]),
        fee=money_pb2.Money(currency_code=currency, amount_micros=row["fee_micros"]),
        idempotency_key=key,
        attempt=attempt,
    )
    event.crossing_time.FromMilliseconds(int(row["crossing_ms"]))
    event.request_time.FromMilliseconds(now_ms)
    outbox.add(connection, tables.outbox, [outbox.event(RECHARGES_STREAM, event.event_id, event)])


def _allowed_from_ms(
    connection: Connection,
    view: AccountView,
    rule: Rule,
    now_ms: int,
    this: RowMapping | None = None,
) -> int:
    """When the cool-off and the monthly cap next allow a recharge (now_ms when they do)."""
    recharges = tables.recharges.c
    counted = [
        *_balance(rule.account_id, rule.channel_id, rule.currency),
        recharges.state.in_(life.COUNTED),
    ]
    if this is not None:
        counted.append(recharges.recharge_id != this["recharge_id"])
    last_ms = connection.execute(
        sa.select(sa.func.max(recharges.updated_ms)).where(*counted)
    ).scalar()
    allowed_ms = now_ms
    if last_ms is not None:
        allowed_ms = max(allowed_ms, int(last_ms) + rule.cool_off_s * 1000)
    month_start = _month_start_ms(view.time_zone, now_ms)
    this_month = connection.execute(
        sa.select(sa.func.count()).where(*counted, recharges.created_ms >= month_start)
    ).scalar_one()
    if this_month >= rule.max_per_month:
        allowed_ms = max(allowed_ms, _next_month_start_ms(view.time_zone, now_ms))
    return allowed_ms


def _channel(view: AccountView, channel_id: str, field: str) -> str:
    if view.balance_scope == SCOPE_CHANNEL:
        return validation.require_id(channel_id, field)
    if channel_id:
        raise InvalidArgument(field, "this account keeps its funds per account")
    return ""


def _checked(view: AccountView, given: funds_pb2.AutoRecharge) -> Rule:
    where = "auto_recharge"
    if given.account_id and given.account_id != view.account_id:
        raise InvalidArgument(f"{where}.account_id", "must be the request's account_id")
    channel_id = _channel(view, given.channel_id, f"{where}.channel_id")
    currency = given.currency_code or view.currency
    validation.currency(currency, f"{where}.currency_code")
    if currency != view.currency:
        raise InvalidArgument(f"{where}.currency_code", f"the account bills in {view.currency}")
    validation.amount(given.threshold_micros, f"{where}.threshold_micros")
    validation.amount(given.amount_micros, f"{where}.amount_micros", positive=given.enabled)
    for name, value, top in (
        ("threshold_micros", given.threshold_micros, MAX_TOP_UP_MICROS),
        ("amount_micros", given.amount_micros, MAX_TOP_UP_MICROS),
        ("cool_off_seconds", given.cool_off_seconds, MAX_COOL_OFF_S),
    ):
        validation.amount(value, f"{where}.{name}")
        if value > top:
            raise InvalidArgument(f"{where}.{name}", f"at most {top}")
    if not currencies.is_whole_minor_units(given.amount_micros, currency):
        digits = currencies.minor_digits(currency)
        raise InvalidArgument(
            f"{where}.amount_micros",
            f"a card is charged in whole {currency} minor units ({digits} decimals)",
        )
    if given.enabled and not 1 <= given.max_per_month <= MAX_PER_MONTH:
        raise InvalidArgument(f"{where}.max_per_month", f"must be 1 to {MAX_PER_MONTH}")
    if not 0 <= given.max_per_month <= MAX_PER_MONTH:
        raise InvalidArgument(f"{where}.max_per_month", f"must be 0 to {MAX_PER_MONTH}")
    return Rule(
        view.account_id,
        channel_id,
        currency,
        given.enabled,
        given.threshold_micros,
        given.amount_micros,
        given.cool_off_seconds,
        given.max_per_month,
    )


def _upsert(
    connection: Connection, account_id: str, channel_id: str, values: dict[str, Any]
) -> None:
    table = tables.auto_recharges
    where = (table.c.account_id == account_id, table.c.channel_id == channel_id)
    updated = connection.execute(table.update().where(*where).values(**values))
    if updated.rowcount == 0:
        connection.execute(
            table.insert().values(account_id=account_id, channel_id=channel_id, **values)
        )


def _rule(row: RowMapping) -> Rule:
    return Rule(
        row["account_id"],
        row["channel_id"],
        row["currency_code"],
        row["enabled"],
        row["threshold_micros"],
        row["amount_micros"],
        row["cool_off_seconds"],
        row["max_per_month"],
    )


def _message(rule: Rule) -> funds_pb2.AutoRecharge:
    return funds_pb2.AutoRecharge(
        account_id=rule.account_id,
        channel_id=rule.channel_id,
        enabled=rule.enabled,
        threshold_micros=rule.threshold_micros,
        amount_micros=rule.amount_micros,
        cool_off_seconds=rule.cool_off_s,
        max_per_month=rule.max_per_month,
        currency_code=rule.currency,
    )


def _recharge_message(row: RowMapping, history: list[RowMapping]) -> funds_pb2.Recharge:
    currency = row["currency_code"]
    message = funds_pb2.Recharge(
        recharge_id=row["recharge_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        amount=money_pb2.Money(currency_code=currency, amount_micros=row["amount_micros"]),
        fee=money_pb2.Money(currency_code=currency, amount_micros=row["fee_micros"]),
        state=row["state"],
        problem=row["problem"],
        attempts=row["attempts"],
        top_up_id=row["top_up_id"] or "",
    )
    message.crossing_time.FromMilliseconds(row["crossing_ms"])
    message.update_time.FromMilliseconds(row["updated_ms"])
    if row["next_attempt_ms"] is not None:
        message.next_attempt_time.FromMilliseconds(row["next_attempt_ms"])
    for attempt in history:
        item = message.history.add(
            attempt=attempt["attempt"],
            idempotency_key=attempt["idempotency_key"],
            state=attempt["state"],
            problem=attempt["problem"],
            payment_reference=attempt["payment_reference"],
            top_up_id=attempt["top_up_id"] or "",
        )
        item.request_time.FromMilliseconds(attempt["requested_ms"])
        item.update_time.FromMilliseconds(attempt["updated_ms"])
    return message


def _next_month_start_ms(time_zone: str, now_ms: int) -> int:
    zone = ZoneInfo(time_zone)
    now = dt.datetime.fromtimestamp(now_ms / 1000, zone)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int(dt.datetime(year, month, 1, tzinfo=zone).timestamp() * 1000)


def _month_start_ms(time_zone: str, now_ms: int) -> int:
    """The first instant of the calendar month, in the account's time zone."""
    zone = ZoneInfo(time_zone)
    now = dt.datetime.fromtimestamp(now_ms / 1000, zone)
    start = dt.datetime(now.year, now.month, 1, tzinfo=zone)
    return int(start.timestamp() * 1000)
