"""Auto-recharge (360dialog auto-renewal): a threshold and an amount per balance; once per
crossing below the threshold, with a cool-off and a cap per calendar month, the customer is
charged through the payment port and the money arrives as a top-up (source "auto_recharge")."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import idempotency, metrics, validation
from services.common.errors import BillingError, InvalidArgument
from services.wallet.adapters import tables
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.alerts import RECHARGE_HELD, RECHARGE_SUCCEEDED, BalanceAlerts
from services.wallet.service.funds import MAX_TOP_UP_MICROS, Funds
from services.wallet.service.ports import RechargePayments, RechargeRefused

log = logging.getLogger(__name__)
MAX_COOL_OFF_S = 31 * 86_400
MAX_PER_MONTH = 1_000
CHARGING, DONE, FAILED = "charging", "done", "failed"
# Held back by the cool-off or the monthly cap; declined and waiting to be tried again.
HELD, DECLINED, SKIPPED = "held", "declined", "skipped"
# A declined card is tried this many times in all, each wait twice the one before.
MAX_ATTEMPTS = 4
FIRST_RETRY_MS = 15 * 60 * 1000
RECHARGE_FAILED = "recharge_failed"
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
        payments: RechargePayments,
        retry_s: float,
        alerts: BalanceAlerts | None = None,
        first_retry_ms: int = FIRST_RETRY_MS,
    ) -> None:
        self._alerts = alerts
        self._first_retry_ms = first_retry_ms
        self._engine = engine
        self._accounts = accounts
        self._funds = funds
        self._payments = payments
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
            "updated_ms": time.time_ns() // 1_000_000,
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
                rules[key] = Rule(
                    row["account_id"],
                    row["channel_id"],
                    row["currency_code"],
                    row["enabled"],
                    row["threshold_micros"],
                    row["amount_micros"],
                    row["cool_off_seconds"],
                    row["max_per_month"],
                )
        return rules

    def fire(self, view: AccountView, rule: Rule, crossing_ms: int) -> bool:
        """Recharge for one crossing; True once the crossing is dealt with (paid or refused).

        False while it waits: for the cool-off, for next month's cap, or for another process
        that holds this crossing. The unique (balance, crossing) row makes it happen once.
        """
        recharges = tables.recharges.c
        balance = (
            recharges.account_id == rule.account_id,
            recharges.channel_id == rule.channel_id,
            recharges.currency_code == rule.currency,
        )
        now_ms = time.time_ns() // 1_000_000
        with self._engine.connect() as connection:
            existing = connection.execute(
                sa.select(recharges.state).where(*balance, recharges.crossing_ms == crossing_ms)
            ).first()
            if existing is not None:
                return existing.state != CHARGING
            allowed_ms = self._allowed_from_ms(connection, view, rule, now_ms)
        held = allowed_ms > now_ms
        row = {
            "recharge_id": uuid.uuid4().hex,
            "account_id": rule.account_id,
            "channel_id": rule.channel_id,
            "currency_code": rule.currency,
            "crossing_ms": crossing_ms,
            "amount_micros": rule.amount_micros,
            "fee_micros": self._funds.fee_micros(view, rule.amount_micros),
            "state": HELD if held else CHARGING,
            "top_up_id": None,
            "problem": "held back by the cool-off or the monthly cap" if held else "",
            "created_ms": now_ms,
            "updated_ms": now_ms,
            "attempts": 0 if held else 1,
            "next_attempt_ms": allowed_ms if held else None,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(tables.recharges.insert().values(**row))
        except IntegrityError:
            return False  # another process holds this crossing
        if held:
            self._tell(RECHARGE_HELD, row, "held back by the cool-off or the monthly cap")
            return True  # the row keeps the crossing: fire_due charges it once allowed
        return self._complete(row)

    def fire_due(self, limit: int) -> int:
        """The loop's pass: recharges held back or declined whose time has come, with no
        further send needed. A held one whose balance went back above the threshold ends."""
        recharges = tables.recharges.c
        now_ms = time.time_ns() // 1_000_000
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.recharges)
                    .where(
                        recharges.state.in_((HELD, DECLINED)),
                        recharges.next_attempt_ms <= now_ms,
                    )
                    .order_by(recharges.next_attempt_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        fired = 0
        for row in rows:
            fired += self._fire_again(row, now_ms)
        return fired

    def _fire_again(self, row: RowMapping, now_ms: int) -> bool:
        view = require_account(self._accounts, row["account_id"])
        balance = (row["account_id"], row["channel_id"], row["currency_code"])
        rule = self.rules_for([balance]).get(balance)
        if rule is None or not rule.enabled:
            return self._end(row, SKIPPED, "auto-recharge was switched off")
        if row["state"] == HELD:
            with self._engine.connect() as connection:
                allowed_ms = self._allowed_from_ms(connection, view, rule, now_ms, row)
            if allowed_ms > now_ms:
                self._update(row, next_attempt_ms=allowed_ms)
                return False
            if self._available(row) >= rule.threshold_micros:
                return self._end(row, SKIPPED, "the balance is back above the threshold")
        table = tables.recharges
        with self._engine.begin() as connection:
            claimed = connection.execute(
                table.update()
                .where(table.c.recharge_id == row["recharge_id"], table.c.state == row["state"])
                .values(
                    state=CHARGING,
                    attempts=table.c.attempts + 1,
                    next_attempt_ms=None,
                    updated_ms=now_ms,
                )
            ).rowcount
        if not claimed:
            return False  # another process took it
        with self._engine.connect() as connection:
            fresh = (
                connection.execute(
                    sa.select(table).where(table.c.recharge_id == row["recharge_id"])
                )
                .mappings()
                .one()
            )
        return self._complete(fresh)

    def _allowed_from_ms(
        self,
        connection: Connection,
        view: AccountView,
        rule: Rule,
        now_ms: int,
        this: RowMapping | None = None,
    ) -> int:
        """When the cool-off and the monthly cap next allow a recharge (now_ms when they do)."""
        recharges = tables.recharges.c
        counted = [
            recharges.account_id == rule.account_id,
            recharges.channel_id == rule.channel_id,
            recharges.currency_code == rule.currency,
            recharges.state.in_((CHARGING, DONE)),
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

    def _end(self, row: RowMapping, state: str, problem: str) -> bool:
        self._update(row, state=state, problem=problem, next_attempt_ms=None)
        return True

    def _update(self, row: Mapping[str, Any] | RowMapping, **values: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                tables.recharges.update()
                .where(tables.recharges.c.recharge_id == row["recharge_id"])
                .values(updated_ms=time.time_ns() // 1_000_000, **values)
            )

    def resume(self, limit: int) -> int:
        """The sweeper: finish recharges left charging (a crash, or a provider that was down)."""
        recharges = tables.recharges.c
        cutoff = time.time_ns() // 1_000_000 - self._retry_ms
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.recharges)
                    .where(recharges.state == CHARGING, recharges.updated_ms <= cutoff)
                    .order_by(recharges.updated_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        for row in rows:
            self._complete(row)
        return len(rows)

    def list_recharges(self, account_id: str) -> list[RowMapping]:
        with self._engine.connect() as connection:
            return list(
                connection.execute(
                    sa.select(tables.recharges)
                    .where(tables.recharges.c.account_id == account_id)
                    .order_by(tables.recharges.c.created_ms)
                )
                .mappings()
                .all()
            )

    def _complete(self, row: Mapping[str, Any] | RowMapping) -> bool:
        recharge_id = str(row["recharge_id"])
        account_id, channel_id = str(row["account_id"]), str(row["channel_id"])
        currency, amount = str(row["currency_code"]), int(row["amount_micros"])
        attempt = int(row.get("attempts") or 1)
        # One key per attempt: a declined attempt's key would only answer its decline again.
        key = f"auto-recharge:{recharge_id}" + (f":{attempt}" if attempt > 1 else "")
        view = require_account(self._accounts, account_id)
        try:
            reference = self._payments.charge(
                account_id, channel_id, currency, amount + self._funds.fee_micros(view, amount), key
            )
            top_up = self._funds.top_up(
                pb.TopUpRequest(
                    account_id=account_id,
                    channel_id=channel_id,
                    amount=money_pb2.Money(currency_code=currency, amount_micros=amount),
                    idempotency_key=key,
                    payment_reference=reference,
                ),
                source="auto_recharge",
            ).top_up
        except RechargeRefused as refused:
            self._declined(row, attempt, refused)
            return True
        except BillingError as error:
            self._touch(recharge_id)
            metrics.instruments().recharges.add(1, {"outcome": "failed"})
            log.warning("auto-recharge not finished", extra={"error": str(error)})
            return False
        self._finish(recharge_id, DONE, top_up, "")
        metrics.instruments().recharges.add(1, {"outcome": "paid"})
        self._tell(RECHARGE_SUCCEEDED, row, "")
        return True

    def _tell(self, kind: str, row: Mapping[str, Any] | RowMapping, problem: str) -> None:
        """A recharge alert for the account's people (once per crossing and kind)."""
        if self._alerts is None:
            return
        try:
            self._alerts.publish(
                kind,
                str(row["account_id"]),
                str(row["channel_id"]),
                str(row["currency_code"]),
                0,
                int(row["crossing_ms"]),
                recharge_micros=int(row["amount_micros"]),
                problem=problem,
            )
        except Exception:
            log.exception("recharge alert not written", extra={"recharge_id": row["recharge_id"]})

    def _declined(
        self, row: Mapping[str, Any] | RowMapping, attempt: int, refused: RechargeRefused
    ) -> None:
        """Back off and try again later; stop, with an alert, after MAX_ATTEMPTS."""
        recharge_id = str(row["recharge_id"])
        log.warning("auto-recharge refused", extra={"recharge_id": recharge_id})
        if refused.final or attempt >= MAX_ATTEMPTS:
            self._finish(recharge_id, FAILED, None, refused.message)
            metrics.instruments().recharges.add(1, {"outcome": "refused"})
            if self._alerts is not None:
                self._alerts.publish(
                    RECHARGE_FAILED,
                    str(row["account_id"]),
                    str(row["channel_id"]),
                    str(row["currency_code"]),
                    0,
                    int(row["crossing_ms"]),
                    recharge_micros=int(row["amount_micros"]),
                    problem=refused.message,
                )
            return
        wait_ms = self._first_retry_ms * 2 ** (attempt - 1)
        metrics.instruments().recharges.add(1, {"outcome": "declined"})
        self._update(
            row,
            state=DECLINED,
            problem=refused.message[:200],
            next_attempt_ms=time.time_ns() // 1_000_000 + wait_ms,
        )

    def list(self, request: pb.ListRechargesRequest) -> pb.ListRechargesResponse:
        """Every attempt's recharge: state, amount, fee, attempts and why one failed."""
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        table = tables.recharges
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
        return pb.ListRechargesResponse(
            recharges=[_recharge_message(row) for row in rows],
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def _finish(
        self, recharge_id: str, state: str, top_up: funds_pb2.TopUp | None, problem: str
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                tables.recharges.update()
                .where(tables.recharges.c.recharge_id == recharge_id)
                .values(
                    state=state,
                    top_up_id=top_up.top_up_id if top_up is not None else None,
                    problem=problem[:200],
                    updated_ms=time.time_ns() // 1_000_000,
                )
            )

    def _touch(self, recharge_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                tables.recharges.update()
                .where(tables.recharges.c.recharge_id == recharge_id)
                .values(updated_ms=time.time_ns() // 1_000_000)
            )


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


def _recharge_message(row: RowMapping) -> funds_pb2.Recharge:
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
