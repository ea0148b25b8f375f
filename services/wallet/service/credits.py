"""Credits (Interakt, Verloop): granted with an amount, an expiry, a priority and what they may
pay for; redeemed against invoices by priority then earliest expiry, once per key. Every grant,
redemption and expiry is a balanced ledger transaction; what is left is derived from them.

Credits that may pay for messages are spent by the send path: once recorded, a grant joins the
account's hot credit balance (AuthoriseSend draws on it before money), and its expiry is
written off by the projector in the order of the ledger stream. Invoices draw on the others."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common import idempotency, validation
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument
from services.wallet.adapters import ledger_sql, tables
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain import ledger
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.account_lock import lock_account
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.funds import MAX_TOP_UP_MICROS

NOTIFICATIONS_INVOICE = "notifications_invoice"
MESSAGES = "messages"
APPLIES_TO = frozenset({NOTIFICATIONS_INVOICE, MESSAGES})
MAX_PRIORITY = 1_000_000
MAX_CREDITS_PER_REDEMPTION = 1_000  # credits one redemption may draw on, best first


class Credits:
    def __init__(
        self,
        engine: Engine,
        accounts: Accounts,
        hot: HotStore,
        partitioner: Partitioner,
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock or SystemClock()

    def grant(self, request: pb.GrantCreditRequest) -> pb.GrantCreditResponse:
        view = require_account(self._accounts, request.account_id)
        _money(view, request.amount, "amount", positive=True)
        if not request.HasField("expire_time"):
            raise InvalidArgument("expire_time", "is required")
        if not 0 <= request.priority <= MAX_PRIORITY:
            raise InvalidArgument("priority", f"must be 0 to {MAX_PRIORITY}")
        applies_to = _applies_to(request.applies_to)
        validation.text(request.reason, "reason", max_length=200)
        validation.text(request.idempotency_key, "idempotency_key", required=True)
        expire_ms = request.expire_time.ToMilliseconds()

        def insert() -> pb.GrantCreditResponse:
            now_ms = self._clock.now_ms()
            if expire_ms <= now_ms:
                raise InvalidArgument("expire_time", "must be in the future")
            credit_id, granted = uuid.uuid4().hex, request.amount.amount_micros
            row: dict[str, Any] = {
                "credit_id": credit_id,
                "account_id": view.account_id,
                "currency_code": view.currency,
                "granted_micros": granted,
                "expire_ms": expire_ms,
                "priority": request.priority,
                "applies_to": ",".join(applies_to),
                "reason": request.reason,
                "idempotency_key": request.idempotency_key,
                "created_ms": now_ms,
                "written_off_ms": None,
            }
            connection.execute(tables.credits.insert().values(**row))
            grant = ledger.grant_credit(view.account_id, view.currency, credit_id, granted, now_ms)
            ledger_sql.write_transactions(connection, [grant])
            return pb.GrantCreditResponse(credit=_credit(row, granted))

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            response: pb.GrantCreditResponse = idempotency.once(
                connection,
                tables.idempotency_keys,
                f"GrantCredit:{view.account_id}",
                request.idempotency_key,
                request,
                pb.GrantCreditResponse,
                insert,
            )
        credit = response.credit
        if MESSAGES in credit.applies_to:
            self._apply(
                credit.account_id,
                credit.granted.currency_code,
                credit.credit_id,
                credit.granted.amount_micros,
                credit.expire_time.ToMilliseconds(),
            )
        return response

    def _apply(
        self, account_id: str, currency: str, credit_id: str, amount: int, expire_ms: int
    ) -> bool:
        """Into the hot credit balance, once (a grant that already expired stays out)."""
        keys = self._partitioner.keys(account_id)
        state = self._hot.apply_credit(
            keys, account_id, currency, credit_id, amount, expire_ms, self._clock.now_ms()
        )
        return state == "new"

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: grants for messages recorded in SQL that did not reach Redis."""
        now_ms = self._clock.now_ms()
        credits = tables.credits.c
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.credits)
                    .where(
                        credits.applied_ms.is_(None),
                        credits.written_off_ms.is_(None),
                        credits.expire_ms > now_ms,
                        credits.created_ms <= now_ms - int(older_than_s * 1000),
                        credits.applies_to.contains(MESSAGES),
                    )
                    .order_by(credits.created_ms)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        applied = 0
        for row in rows:
            if MESSAGES in row["applies_to"].split(","):
                applied += self._apply(
                    row["account_id"],
                    row["currency_code"],
                    row["credit_id"],
                    row["granted_micros"],
                    row["expire_ms"],
                )
        return applied

    def list(self, request: pb.ListCreditsRequest) -> pb.ListCreditsResponse:
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        self.write_off_expired(view.account_id)
        credits = tables.credits.c
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.credits)
                    .where(credits.account_id == view.account_id)
                    .order_by(credits.created_ms, credits.credit_id)
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
            left = _remaining(connection, view.account_id, rows)
            redemptions = _redemptions(connection, view.account_id, [r["credit_id"] for r in rows])
        return pb.ListCreditsResponse(
            credits=[_credit(row, left[row["credit_id"]]) for row in rows],
            redemptions=redemptions,
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def redeem(self, request: pb.RedeemCreditsRequest) -> pb.RedeemCreditsResponse:
        """Spend what applies, best first, up to max_amount; a retry returns the first answer."""
        view = require_account(self._accounts, request.account_id)
        validation.require_id(request.invoice_id, "invoice_id")
        if request.applies_to not in APPLIES_TO:
            raise InvalidArgument("applies_to", f"must be one of {', '.join(sorted(APPLIES_TO))}")
        if request.applies_to == MESSAGES:
            raise InvalidArgument("applies_to", "credits for messages are spent by AuthoriseSend")
        _money(view, request.max_amount, "max_amount")
        validation.text(request.idempotency_key, "idempotency_key", required=True)

        def spend() -> pb.RedeemCreditsResponse:
            now_ms = self._clock.now_ms()
            usable = _usable(connection, view.account_id, request.applies_to, now_ms)
            left = _remaining(connection, view.account_id, usable)
            wanted = request.max_amount.amount_micros
            response = pb.RedeemCreditsResponse()
            posted = []
            for row in usable:
                amount = min(wanted, left[row["credit_id"]])
                if amount <= 0:
                    continue
                redemption_id = uuid.uuid4().hex
                connection.execute(
                    tables.credit_redemptions.insert().values(
                        redemption_id=redemption_id,
                        account_id=view.account_id,
                        credit_id=row["credit_id"],
                        invoice_id=request.invoice_id,
                        currency_code=view.currency,
                        amount_micros=amount,
                        idempotency_key=request.idempotency_key,
                        created_ms=now_ms,
                    )
                )
                posted.append(
                    ledger.redeem_credit(
                        view.account_id,
                        view.currency,
                        row["credit_id"],
                        redemption_id,
                        request.invoice_id,
                        amount,
                        now_ms,
                    )
                )
                item = response.redemptions.add(
                    credit_id=row["credit_id"],
                    invoice_id=request.invoice_id,
                    amount=_amount(view.currency, amount),
                )
                item.create_time.FromMilliseconds(now_ms)
                wanted -= amount
                if wanted == 0:
                    break
            ledger_sql.write_transactions(connection, posted)
            redeemed = request.max_amount.amount_micros - wanted
            response.redeemed.CopyFrom(_amount(view.currency, redeemed))
            return response

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                f"RedeemCredits:{view.account_id}",
                request.idempotency_key,
                request,
                pb.RedeemCreditsResponse,
                spend,
            )

    def write_off_expired(self, account_id: str = "", limit: int = 500) -> int:
        """What is left of expired credits goes back to the grants account (once per credit).

        A grant in the hot credit balance is written off by the projector instead, after every
        hold before its expiry entry: here it is only asked to. Returns the credits moved on.
        """
        credits = tables.credits.c
        now_ms = self._clock.now_ms()
        due = sa.select(tables.credits).where(
            credits.written_off_ms.is_(None), credits.expire_ms <= now_ms
        )
        if account_id:
            due = due.where(credits.account_id == account_id)
        with self._engine.connect() as connection:
            rows = connection.execute(due.order_by(credits.expire_ms).limit(limit)).mappings().all()
        moved = 0
        for row in rows:
            if MESSAGES in row["applies_to"].split(","):
                keys = self._partitioner.keys(row["account_id"])
                state = self._hot.start_credit_expiry(
                    keys, row["account_id"], row["currency_code"], row["credit_id"], now_ms
                )
                if state != "expired":  # the projector writes it off
                    moved += state == "new"
                    continue
            moved += 1
            with self._engine.begin() as connection:
                lock_account(connection, row["account_id"])
                left = _remaining(connection, row["account_id"], [row])[row["credit_id"]]
                if left > 0:
                    expiry = ledger.expire_credit(
                        row["account_id"], row["currency_code"], row["credit_id"], left, now_ms
                    )
                    ledger_sql.write_transactions(connection, [expiry])
                connection.execute(
                    tables.credits.update()
                    .where(credits.credit_id == row["credit_id"], credits.written_off_ms.is_(None))
                    .values(written_off_ms=now_ms)
                )
        return moved


def _usable(
    connection: Connection, account_id: str, applies_to: str, now_ms: int
) -> list[RowMapping]:
    """Unexpired credits an invoice may draw on (not those for messages): lowest priority,
    earliest expiry first."""
    credits = tables.credits.c
    rows = (
        connection.execute(
            sa.select(tables.credits)
            .where(
                credits.account_id == account_id,
                credits.written_off_ms.is_(None),
                credits.expire_ms > now_ms,
                credits.applies_to.contains(applies_to),
                ~credits.applies_to.contains(MESSAGES),
            )
            .order_by(credits.priority, credits.expire_ms, credits.created_ms, credits.credit_id)
            .limit(MAX_CREDITS_PER_REDEMPTION)
        )
        .mappings()
        .all()
    )
    return [
        row
        for row in rows
        if applies_to in row["applies_to"].split(",") and MESSAGES not in row["applies_to"]
    ]


def _remaining(
    connection: Connection, account_id: str, rows: Sequence[RowMapping]
) -> dict[str, int]:
    """What the ledger says is left of each credit."""
    by_account = {
        ledger.credit_account(account_id, row["currency_code"], row["credit_id"]): row["credit_id"]
        for row in rows
    }
    left = dict.fromkeys(by_account.values(), 0)
    if not by_account:
        return left
    entries = tables.ledger_entries.c
    sums = connection.execute(
        sa.select(entries.ledger_account, sa.func.sum(entries.credit_micros - entries.debit_micros))
        .where(entries.account_id == account_id, entries.ledger_account.in_(list(by_account)))
        .group_by(entries.ledger_account)
    )
    for ledger_account, balance in sums:
        left[by_account[ledger_account]] = int(balance or 0)
    return left


def _redemptions(
    connection: Connection, account_id: str, credit_ids: list[str]
) -> list[funds_pb2.CreditRedemption]:
    if not credit_ids:
        return []
    table = tables.credit_redemptions.c
    rows = connection.execute(
        sa.select(tables.credit_redemptions)
        .where(table.account_id == account_id, table.credit_id.in_(credit_ids))
        .order_by(table.created_ms, table.redemption_id)
    ).mappings()
    found = []
    for row in rows:
        item = funds_pb2.CreditRedemption(
            credit_id=row["credit_id"],
            invoice_id=row["invoice_id"],
            amount=_amount(row["currency_code"], row["amount_micros"]),
        )
        item.create_time.FromMilliseconds(row["created_ms"])
        found.append(item)
    return found


def _applies_to(given: Sequence[str]) -> list[str]:
    if not given:
        raise InvalidArgument("applies_to", "name what the credit may pay for")
    for index, name in enumerate(given):
        if name not in APPLIES_TO:
            raise InvalidArgument(
                f"applies_to[{index}]", f"must be one of {', '.join(sorted(APPLIES_TO))}"
            )
        if name in given[:index]:
            raise InvalidArgument(f"applies_to[{index}]", f"{name!r} appears twice")
    return sorted(given)


def _money(view: AccountView, money: money_pb2.Money, field: str, positive: bool = False) -> None:
    validation.currency(money.currency_code, f"{field}.currency_code")
    if money.currency_code != view.currency:
        raise InvalidArgument(f"{field}.currency_code", f"the account bills in {view.currency}")
    validation.amount(money.amount_micros, f"{field}.amount_micros", positive=positive)
    if money.amount_micros > MAX_TOP_UP_MICROS:
        raise InvalidArgument(f"{field}.amount_micros", f"at most {MAX_TOP_UP_MICROS}")


def _amount(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def _credit(row: Mapping[str, Any] | RowMapping, remaining: int) -> funds_pb2.Credit:
    currency = row["currency_code"]
    credit = funds_pb2.Credit(
        credit_id=row["credit_id"],
        account_id=row["account_id"],
        granted=_amount(currency, row["granted_micros"]),
        remaining=_amount(currency, remaining),
        priority=row["priority"],
        applies_to=row["applies_to"].split(","),
        reason=row["reason"],
    )
    credit.expire_time.FromMilliseconds(row["expire_ms"])
    credit.create_time.FromMilliseconds(row["created_ms"])
    return credit
