"""Money in and what an account holds: top-ups (SQL first, then Redis), balances, listings."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import idempotency, validation
from services.common.errors import Conflict, InvalidArgument
from services.wallet.adapters import ledger_sql, tables
from services.wallet.adapters.hot_store import HotStateBusy, HotStore
from services.wallet.domain import ledger
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView, TopUpFeeRule
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts, require_account

RECORDED = "recorded"
APPLIED = "applied"
STATES = {RECORDED: funds_pb2.TOP_UP_STATE_RECORDED, APPLIED: funds_pb2.TOP_UP_STATE_APPLIED}
# Lua compares balances as doubles: amounts stay far below 2**53 micros.
MAX_TOP_UP_MICROS = 10**15
NO_FEE = TopUpFeeRule(0, 0)
# bank_transfer: an operator's credit of a transfer received (its reference is the transfer's).
SOURCES = frozenset({"manual", "auto_recharge", "invoice_payment", "bank_transfer"})
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
        default_fee: TopUpFeeRule = NO_FEE,
    ) -> None:
        self._engine = engine
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._default_fee = default_fee
        self.listeners: list[Listener] = []

    def fee_micros(self, view: AccountView, amount_micros: int) -> int:
        """The transaction fee charged on top of a top-up: the account's rule, else the default."""
        return (view.top_up_fee or self._default_fee).fee_micros(amount_micros)

    def top_up(self, request: pb.TopUpRequest, source: str = "manual") -> pb.TopUpResponse:
        """Record the top-up and its ledger transaction in SQL, then apply it to Redis."""
        row = self.record(request, source)
        if row["state"] == RECORDED:
            with contextlib.suppress(HotStateBusy):  # applied by the sweeper afterwards
                row = self.apply(row)
        return pb.TopUpResponse(top_up=_top_up_message(row))

    def record(self, request: pb.TopUpRequest, source: str = "manual") -> RowMapping:
        if source not in SOURCES:
            raise ValueError(f"unknown top-up source {source!r}")
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
        values = {
            "top_up_id": uuid.uuid4().hex,
            "account_id": view.account_id,
            "channel_id": request.channel_id,
            "currency_code": currency,
            "amount_micros": request.amount.amount_micros,
            "fee_micros": self.fee_micros(view, request.amount.amount_micros),
            "state": RECORDED,
            "source": source,
            "idempotency_key": request.idempotency_key,
            "payment_reference": reference,
            "created_ms": time.time_ns() // 1_000_000,
        }
        existing = self._find(view.account_id, request.idempotency_key)
        if existing is None:
            try:
                with self._engine.begin() as connection:
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
                .values(state=APPLIED, applied_ms=time.time_ns() // 1_000_000)
            )
            applied = (
                connection.execute(
                    sa.select(tables.top_ups).where(tables.top_ups.c.top_up_id == row["top_up_id"])
                )
                .mappings()
                .one()
            )
        for listener in self.listeners:
            try:
                listener(row["account_id"], row["channel_id"], row["currency_code"])
            except Exception:
                log.exception("top-up listener failed", extra={"top_up_id": row["top_up_id"]})
        return applied

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: re-apply top-ups recorded in SQL that did not reach Redis."""
        cutoff = time.time_ns() // 1_000_000 - int(older_than_s * 1000)
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
                    .order_by(tables.top_ups.c.created_ms, tables.top_ups.c.top_up_id)
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
                    .order_by(entries.c.id)
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
    )
    message.create_time.FromMilliseconds(row["created_ms"])
    return message
