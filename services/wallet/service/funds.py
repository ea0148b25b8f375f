"""Money in and what an account holds: top-ups (SQL first, then Redis), balances, listings."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import idempotency, validation
from services.common.clock import Clock
from services.common.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from services.wallet.adapters import ledger_sql, tables
from services.wallet.adapters.hot_store import HotStateBusy, HotStore
from services.wallet.domain import ledger
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView, TopUpFeeRule
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.account_lock import lock_account
from services.wallet.service.accounts import Accounts, require_account

RECORDED = "recorded"
APPLIED = "applied"
STATES = {RECORDED: funds_pb2.TOP_UP_STATE_RECORDED, APPLIED: funds_pb2.TOP_UP_STATE_APPLIED}
# Lua compares balances as doubles: amounts stay far below 2**53 micros.
MAX_TOP_UP_MICROS = 10**15
NO_FEE = TopUpFeeRule(0, 0)
# bank_transfer: an operator's credit of a transfer received (its reference is the transfer's).
SOURCES = frozenset({"manual", "add_funds", "auto_recharge", "invoice_payment", "bank_transfer"})
REVERSAL_REASONS = frozenset({"refund", "dispute"})
REVERSAL_MARKER = "reversal:"
log = logging.getLogger(__name__)
# Told (account, channel, currency) after a top-up reached the hot balance.
Listener = Callable[[str, str, str], None]


class Funds:
    def __init__(
        self,
        engine: Engine,
        hot: HotStore,
        partitioner: Partitioner,
        accounts: Accounts,
        clock: Clock,
        default_fee: TopUpFeeRule = NO_FEE,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._default_fee = default_fee
        self.listeners: list[Listener] = []

    def fee_micros(self, view: AccountView, amount_micros: int) -> int:
        """The transaction fee charged on top of a top-up: the account's rule, else the default."""
        return (view.top_up_fee or self._default_fee).fee_micros(amount_micros)

    def quote(self, request: pb.QuoteTopUpRequest) -> pb.QuoteTopUpResponse:
        """The fee a top-up of this amount would be booked with, and the number it funds."""
        view = require_account(self._accounts, request.account_id)
        currency = validation.currency(request.amount.currency_code, "amount.currency_code")
        if currency != view.currency:
            raise InvalidArgument("amount.currency_code", f"the account bills in {view.currency}")
        amount = request.amount.amount_micros
        validation.amount(amount, "amount.amount_micros", positive=True)
        if amount > MAX_TOP_UP_MICROS:
            raise InvalidArgument("amount.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
        phone = ""
        if view.balance_scope == SCOPE_CHANNEL:
            channel_id = validation.require_id(request.channel_id, "channel_id")
            with self._engine.connect() as connection:
                phone = (
                    connection.execute(
                        sa.select(tables.channels.c.display_phone_number).where(
                            tables.channels.c.account_id == view.account_id,
                            tables.channels.c.channel_id == channel_id,
                            tables.channels.c.deleted.is_(False),
                        )
                    ).scalar()
                    or ""
                )
        elif request.channel_id:
            raise InvalidArgument("channel_id", "this account keeps its funds per account")
        return pb.QuoteTopUpResponse(
            amount=money_pb2.Money(currency_code=currency, amount_micros=amount),
            fee=money_pb2.Money(
                currency_code=currency, amount_micros=self.fee_micros(view, amount)
            ),
            display_phone_number=phone,
        )

    def top_up(self, request: pb.TopUpRequest, source: str = "manual") -> pb.TopUpResponse:
        """Record the top-up and its ledger transaction in SQL, then apply it to Redis."""
        if request.source:
            source = request.source
        row = self.record(request, source)
        if row["state"] == RECORDED:
            with contextlib.suppress(HotStateBusy):  # applied by the sweeper afterwards
                row = self.apply(row)
        return pb.TopUpResponse(top_up=_top_up_message(row))

    def record(self, request: pb.TopUpRequest, source: str = "manual") -> RowMapping:
        if source not in SOURCES:
            raise InvalidArgument("source", f"must be one of {', '.join(sorted(SOURCES))}")
        view = require_account(self._accounts, request.account_id)
        currency = validation.currency(request.amount.currency_code, "amount.currency_code")
        validation.amount(request.amount.amount_micros, "amount.amount_micros", positive=True)
        if request.amount.amount_micros > MAX_TOP_UP_MICROS:
            raise InvalidArgument("amount.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
        validation.text(request.idempotency_key, "idempotency_key", required=True)
        idempotency.check_key(request.idempotency_key)
        validation.text(request.payment_reference, "payment_reference", max_length=200)
        validation.text(request.transfer_reference, "transfer_reference", max_length=200)
        reference = request.payment_reference or request.transfer_reference
        if view.balance_scope == SCOPE_CHANNEL:
            validation.require_id(request.channel_id, "channel_id")
        elif request.channel_id:
            raise InvalidArgument("channel_id", "this account keeps its funds per account")
        fee_micros = self.fee_micros(view, request.amount.amount_micros)
        if request.HasField("fee"):
            # The fee the customer was charged with the payment, as quoted.
            if request.fee.currency_code not in ("", currency):
                raise InvalidArgument("fee.currency_code", f"must be {currency}")
            validation.amount(request.fee.amount_micros, "fee.amount_micros")
            if request.fee.amount_micros > MAX_TOP_UP_MICROS:
                raise InvalidArgument("fee.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
            fee_micros = request.fee.amount_micros
        values = {
            "top_up_id": uuid.uuid4().hex,
            "account_id": view.account_id,
            "channel_id": request.channel_id,
            "currency_code": currency,
            "amount_micros": request.amount.amount_micros,
            "fee_micros": fee_micros,
            "state": RECORDED,
            "source": source,
            "idempotency_key": request.idempotency_key,
            "payment_reference": reference,
            "created_ms": self._clock.now_ms(),
        }
        existing = self._find(view.account_id, request.idempotency_key)
        if existing is None:
            try:
                with self._engine.begin() as connection:
                    lock_account(connection, view.account_id)
                    _within_bound(
                        connection,
                        view.account_id,
                        request.channel_id,
                        currency,
                        request.amount.amount_micros,
                    )
                    connection.execute(tables.top_ups.insert().values(**values))
                    fact = ledger.Fact(
                        ledger.TOP_UP,
                        view.account_id,
                        request.channel_id,
                        currency,
                        values["top_up_id"],  # type: ignore[arg-type]
                        request.amount.amount_micros,
                        0,
                        values["created_ms"],  # type: ignore[arg-type]
                    )
                    posted = [ledger.post(fact)]
                    if values["fee_micros"]:
                        posted.append(
                            ledger.top_up_fee(
                                view.account_id,
                                currency,
                                fact.reference,
                                values["fee_micros"],  # type: ignore[arg-type]
                                fact.at_ms,
                            )
                        )
                    ledger_sql.write_transactions(connection, posted)
            except IntegrityError:
                pass  # the same key was recorded concurrently: read it below
            existing = self._find(view.account_id, request.idempotency_key)
        if existing is None:
            raise Conflict(f"top-up {request.idempotency_key!r} could not be recorded")
        same = (
            existing["channel_id"] == request.channel_id
            and existing["currency_code"] == currency
            and existing["amount_micros"] == request.amount.amount_micros
            and existing["payment_reference"] == reference
            and existing["fee_micros"] == fee_micros
        )
        if not same:
            raise Conflict(
                f"idempotency key {request.idempotency_key!r} was used for a different top-up"
            )
        return existing

    def transfer_credited(self, account_id: str, transfer_reference: str) -> RowMapping | None:
        """The top-up that credited this bank transfer to the account, if any."""
        table = tables.top_ups
        with self._engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(table).where(
                        table.c.account_id == account_id,
                        table.c.source == "bank_transfer",
                        table.c.payment_reference == transfer_reference,
                    )
                )
                .mappings()
                .first()
            )

    def apply(self, row: RowMapping) -> RowMapping:
        """Apply a recorded top-up to the hot balance (once), then mark it applied."""
        keys = self._partitioner.keys(row["account_id"])
        self._hot.apply_top_up(
            keys,
            row["account_id"],
            row["channel_id"],
            row["currency_code"],
            row["top_up_id"],
            row["amount_micros"],
        )
        with self._engine.begin() as connection:
            connection.execute(
                tables.top_ups.update()
                .where(tables.top_ups.c.top_up_id == row["top_up_id"])
                .values(state=APPLIED, applied_ms=self._clock.now_ms())
            )
            applied = (
                connection.execute(
                    sa.select(tables.top_ups).where(tables.top_ups.c.top_up_id == row["top_up_id"])
                )
                .mappings()
                .one()
            )
        self._tell_listeners(row)
        return applied

    def reverse(self, request: pb.ReverseTopUpRequest) -> pb.ReverseTopUpResponse:
        """Take refunded or disputed money back: SQL first (the account locked, never more than
        the top-up brought in), then the hot balance, once. The balance may go below zero."""
        view = require_account(self._accounts, request.account_id)
        validation.text(request.top_up_idempotency_key, "top_up_idempotency_key", required=True)
        validation.text(request.idempotency_key, "idempotency_key", required=True)
        idempotency.check_key(request.idempotency_key)
        if request.reason not in REVERSAL_REASONS:
            raise InvalidArgument("reason", f"must be one of {', '.join(sorted(REVERSAL_REASONS))}")
        top_up = self._find(view.account_id, request.top_up_idempotency_key)
        if top_up is None:
            raise NotFound("no such top-up", "top_up_idempotency_key")
        currency = top_up["currency_code"]
        amounts = []
        for name, given in (("amount", request.amount), ("fee", request.fee)):
            if given.currency_code not in ("", currency):
                raise InvalidArgument(f"{name}.currency_code", f"must be {currency}")
            validation.amount(given.amount_micros, f"{name}.amount_micros")
            amounts.append(given.amount_micros)
        amount_micros, fee_micros = amounts
        if amount_micros + fee_micros == 0:
            raise InvalidArgument("amount.amount_micros", "nothing to reverse")
        row = self._record_reversal(request, top_up, amount_micros, fee_micros)
        if row["state"] == RECORDED:
            row = self._apply_reversal(row)
        return pb.ReverseTopUpResponse(reversal=_reversal_message(row))

    def _record_reversal(
        self, request: pb.ReverseTopUpRequest, top_up: RowMapping, amount: int, fee: int
    ) -> RowMapping:
        table = tables.top_up_reversals
        account_id = top_up["account_id"]
        with self._engine.begin() as connection:
            lock_account(connection, account_id)
            existing = (
                connection.execute(
                    sa.select(table).where(
                        table.c.account_id == account_id,
                        table.c.idempotency_key == request.idempotency_key,
                    )
                )
                .mappings()
                .first()
            )
            if existing is not None:
                if (existing["top_up_id"], existing["amount_micros"], existing["fee_micros"]) != (
                    top_up["top_up_id"],
                    amount,
                    fee,
                ):
                    raise Conflict(
                        f"idempotency key {request.idempotency_key!r} was used for another reversal"
                    )
                return existing
            before = connection.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(table.c.amount_micros), 0),
                    sa.func.coalesce(sa.func.sum(table.c.fee_micros), 0),
                ).where(table.c.top_up_id == top_up["top_up_id"])
            ).one()
            if amount > top_up["amount_micros"] - before[0]:
                raise FailedPrecondition(
                    "more than the top-up brought in is left to reverse", "amount.amount_micros"
                )
            if fee > top_up["fee_micros"] - before[1]:
                raise FailedPrecondition("more than the top-up's fee", "fee.amount_micros")
            now_ms = self._clock.now_ms()
            values = {
                "reversal_id": uuid.uuid4().hex,
                "account_id": account_id,
                "channel_id": top_up["channel_id"],
                "currency_code": top_up["currency_code"],
                "top_up_id": top_up["top_up_id"],
                "amount_micros": amount,
                "fee_micros": fee,
                "reason": request.reason,
                "idempotency_key": request.idempotency_key,
                "state": RECORDED,
                "created_ms": now_ms,
            }
            connection.execute(table.insert().values(**values))
            ledger_sql.write_transactions(
                connection,
                [
                    ledger.top_up_reversal(
                        account_id,
                        top_up["channel_id"],
                        top_up["currency_code"],
                        str(values["reversal_id"]),
                        amount,
                        fee,
                        now_ms,
                    )
                ],
            )
            return (
                connection.execute(
                    sa.select(table).where(table.c.reversal_id == values["reversal_id"])
                )
                .mappings()
                .one()
            )

    def _apply_reversal(self, row: RowMapping) -> RowMapping:
        table = tables.top_up_reversals
        if row["amount_micros"]:
            self._hot.apply_top_up(
                self._partitioner.keys(row["account_id"]),
                row["account_id"],
                row["channel_id"],
                row["currency_code"],
                REVERSAL_MARKER + row["reversal_id"],
                -row["amount_micros"],
            )
        with self._engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.reversal_id == row["reversal_id"])
                .values(state=APPLIED, applied_ms=self._clock.now_ms())
            )
            applied = (
                connection.execute(
                    sa.select(table).where(table.c.reversal_id == row["reversal_id"])
                )
                .mappings()
                .one()
            )
        self._tell_listeners(row)
        return applied

    def _tell_listeners(self, row: RowMapping) -> None:
        for listener in self.listeners:
            try:
                listener(row["account_id"], row["channel_id"], row["currency_code"])
            except Exception:
                log.exception("balance listener failed", extra={"account_id": row["account_id"]})

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: re-apply top-ups and reversals recorded in SQL that did not reach Redis."""
        return self._apply_recorded_top_ups(older_than_s, limit) + self._apply_recorded_reversals(
            older_than_s, limit
        )

    def _apply_recorded_reversals(self, older_than_s: float, limit: int) -> int:
        table = tables.top_up_reversals
        cutoff = self._clock.now_ms() - int(older_than_s * 1000)
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(table)
                    .where(table.c.state == RECORDED, table.c.created_ms <= cutoff)
                    .order_by(table.c.created_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        for row in rows:
            self._apply_reversal(row)
        return len(rows)

    def _apply_recorded_top_ups(self, older_than_s: float, limit: int) -> int:
        cutoff = self._clock.now_ms() - int(older_than_s * 1000)
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.top_ups)
                    .where(
                        tables.top_ups.c.state == RECORDED, tables.top_ups.c.created_ms <= cutoff
                    )
                    .order_by(tables.top_ups.c.created_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        for row in rows:
            try:
                self.apply(row)
            except HotStateBusy:
                return 0  # the hot state is being rebuilt: later
        return len(rows)

    def balance(self, request: pb.GetBalanceRequest) -> pb.GetBalanceResponse:
        view = require_account(self._accounts, request.account_id)
        validation.optional_id(request.channel_id, "channel_id")
        keys = self._partitioner.keys(view.account_id)
        held = self._hot.balances(keys, view.account_id)
        if not held and view.balance_scope != SCOPE_CHANNEL:
            held = {("", view.currency): (0, 0)}
        response = pb.GetBalanceResponse()
        for (channel, currency), (available, reserved) in sorted(held.items()):
            if request.channel_id and channel != request.channel_id:
                continue
            response.balances.add(
                kind=funds_pb2.ASSET_KIND_MONEY,
                currency_code=currency,
                channel_id=channel,
                available_micros=available,
                reserved_micros=reserved,
                debt_micros=max(-available, 0),
            )
        if request.channel_id:
            return response
        # Credits for messages: reserved counts unused credit on its way back to its grants.
        for currency, credit in sorted(self._hot.credit_balances(keys, view.account_id).items()):
            response.balances.add(
                kind=funds_pb2.ASSET_KIND_CREDIT,
                currency_code=currency,
                available_micros=credit.available,
                reserved_micros=credit.held + credit.returning,
            )
        return response

    def list_top_ups(self, request: pb.ListTopUpsRequest) -> pb.ListTopUpsResponse:
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.top_ups)
                    .where(tables.top_ups.c.account_id == view.account_id)
                    .order_by(
                        *_ordered(
                            (tables.top_ups.c.created_ms, tables.top_ups.c.top_up_id),
                            request.newest_first,
                        )
                    )
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
        return pb.ListTopUpsResponse(
            top_ups=[_top_up_message(row) for row in rows],
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def list_entries(self, request: pb.ListLedgerEntriesRequest) -> pb.ListLedgerEntriesResponse:
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        entries = tables.ledger_entries
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(entries)
                    .where(entries.c.account_id == view.account_id)
                    .order_by(*_ordered((entries.c.id,), request.newest_first))
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
        response = pb.ListLedgerEntriesResponse(
            next_page_token=validation.next_page_token(offset, limit, len(rows))
        )
        for row in rows:
            entry = response.entries.add(
                entry_id=row["entry_id"],
                transaction_id=row["transaction_id"],
                account_id=row["account_id"],
                ledger_account=row["ledger_account"],
                debit_micros=row["debit_micros"],
                credit_micros=row["credit_micros"],
                currency_code=row["currency_code"],
                kind=row["kind"],
                reference=row["reference"],
            )
            entry.create_time.FromMilliseconds(row["created_ms"])
        return response

    def _find(self, account_id: str, key: str) -> RowMapping | None:
        with self._engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(tables.top_ups).where(
                        tables.top_ups.c.account_id == account_id,
                        tables.top_ups.c.idempotency_key == key,
                    )
                )
                .mappings()
                .first()
            )


def _top_up_message(row: RowMapping) -> funds_pb2.TopUp:
    currency = row["currency_code"]
    message = funds_pb2.TopUp(
        top_up_id=row["top_up_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        amount=money_pb2.Money(currency_code=currency, amount_micros=row["amount_micros"]),
        fee=money_pb2.Money(currency_code=currency, amount_micros=row["fee_micros"]),
        state=STATES[row["state"]],
        source=row["source"],
        idempotency_key=row["idempotency_key"],
        payment_reference=row["payment_reference"],
    )
    message.create_time.FromMilliseconds(row["created_ms"])
    return message


def _reversal_message(row: RowMapping) -> funds_pb2.TopUpReversal:
    currency = row["currency_code"]
    message = funds_pb2.TopUpReversal(
        reversal_id=row["reversal_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        top_up_id=row["top_up_id"],
        amount=money_pb2.Money(currency_code=currency, amount_micros=row["amount_micros"]),
        fee=money_pb2.Money(currency_code=currency, amount_micros=row["fee_micros"]),
        reason=row["reason"],
    )
    message.create_time.FromMilliseconds(row["created_ms"])
    return message


def _within_bound(
    connection: Connection, account_id: str, channel_id: str, currency: str, amount_micros: int
) -> None:
    """A balance stays at most validation.MAX_MICROS, so the hot path's sums stay exact."""
    held = ledger_sql.account_balance(
        connection, ledger.money_account(account_id, currency, channel_id)
    )
    if held + amount_micros > validation.MAX_MICROS:
        raise InvalidArgument(
            "amount.amount_micros",
            f"would take the balance above {validation.MAX_MICROS:,} micros (it holds {held:,})",
        )


def _ordered(
    columns: tuple[sa.ColumnElement[Any], ...], newest_first: bool
) -> list[sa.ColumnElement[Any]]:
    """A list's sort: the oldest first, or the newest first."""
    return [column.desc() if newest_first else column for column in columns]
