"""A paid notifications invoice settles the wallet: a postpaid balance accrues the cycle's
charges below zero, and once the invoice that bills them is paid (card, transfer, credits, or
cleared by a credit note) the wallet is credited with its charge lines (kind "notifications":
not the tax, not the fees) by TopUp, source "invoice_payment", key `invoice:<id>:settle`, so
the balance comes back up. A refund or a dispute of the invoice's payment takes the refunded
share of those charges back out (ReverseTopUp: the balance owes them again); paid again, the
invoice credits what was taken back, under a new key.

Every movement is written first (invoicing_wallet_settlements: its key, its amount), then
asked of the wallet with that key, then marked done: a crash anywhere leaves a movement that
is asked again with the same key and applied once. The `wallet-settlement` loop settles paid
invoices nobody settled yet (credits, credit notes, a wallet that was unreachable).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common.clock import Clock, moment
from services.common.errors import BillingError
from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain import money
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service.ports import Wallet

log = logging.getLogger(__name__)
CHARGE_LINE_KIND = "notifications"
SOURCE = "invoice_payment"
CREDIT, TAKE_BACK = "credit", "take_back"
PENDING_BATCH = 100
Row = Mapping[Any, Any]


class PostpaidSettlement:
    def __init__(self, engine: Engine, wallet: Wallet, clock: Clock) -> None:
        self._engine = engine
        self._wallet = wallet
        self._clock = clock

    def settle(self, account_id: str, invoice_id: str) -> bool:
        """Credit the wallet with what a paid notifications invoice still owes it; True once
        nothing is owed. Idempotent: asked again, it credits nothing more."""
        with self._engine.connect() as connection:
            invoice = invoice_store.get(connection, account_id, invoice_id)
        if invoice is None or invoice["kind"] != Kind.NOTIFICATIONS:
            return True
        if invoice["wallet_settled_time"] is not None:
            return True
        if invoice["status"] != Status.PAID:
            return False
        try:
            with self._engine.begin() as connection:
                owed = charges_micros(connection, invoice_id) - _net(connection, invoice_id)
                if owed > 0:
                    _plan_credit(connection, invoice, owed)
        except IntegrityError:
            log.info("settlement planned concurrently", extra={"invoice_id": invoice_id})
        self._apply(invoice)
        with self._engine.begin() as connection:
            invoice_store.update(
                connection,
                invoice_id,
                {"wallet_settled_time": moment(self._clock)},
                status=Status.PAID,
                wallet_settled_time=None,
            )
        return True

    def settle_pending(self, limit: int = PENDING_BATCH) -> int:
        """The loop's pass: paid notifications invoices whose charges the wallet has not got
        back yet. Returns those settled."""
        table = tables.invoices
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.account_id, table.c.invoice_id)
                .where(
                    table.c.kind == Kind.NOTIFICATIONS,
                    table.c.status == Status.PAID,
                    table.c.wallet_settled_time.is_(None),
                )
                .order_by(table.c.paid_time)
                .limit(limit)
            ).all()
        settled = 0
        for row in rows:
            try:
                settled += self.settle(row.account_id, row.invoice_id)
            except BillingError as error:
                log.warning(
                    "postpaid invoice not settled yet",
                    extra={"invoice_id": row.invoice_id, "error": str(error)},
                )
        return settled

    def take_back(
        self, payment: Row, before_micros: int, after_micros: int, reason: str, cause: str
    ) -> None:
        """A refund or dispute moved the payment's reversed total from `before` to `after`:
        take the same share of the invoice's charges back out of the wallet (rounded half up
        on the running totals, so that reversing the whole payment takes back its whole share).
        Idempotent by `cause` (the refund or dispute)."""
        invoice_id = payment["invoice_id"]
        with self._engine.connect() as connection:
            invoice = invoice_store.get(connection, payment["account_id"], invoice_id)
        if invoice is None or invoice["kind"] != Kind.NOTIFICATIONS or not invoice["total_micros"]:
            return
        with self._engine.connect() as connection:
            if _net(connection, invoice_id) <= 0 and not _planned(connection, cause):
                return  # nothing was given back for it (an invoice from before settlement)
        self._apply(invoice)  # a credit not applied yet cannot be reversed
        with self._engine.begin() as connection:
            if not _planned(connection, cause):
                charges = charges_micros(connection, invoice_id)
                total = invoice["total_micros"]
                share = _share(charges, min(after_micros, total), total) - _share(
                    charges, min(before_micros, total), total
                )
                _plan_take_back(connection, invoice, share, cause)
        self._apply(invoice)
        with self._engine.begin() as connection:
            invoice_store.update(connection, invoice_id, {"wallet_settled_time": None})

    def _apply(self, invoice: Row) -> None:
        """Ask the wallet for every movement of the invoice not done yet, credits first."""
        table = tables.wallet_settlements
        with self._engine.connect() as connection:
            pending = connection.execute(
                sa.select(table)
                .where(table.c.invoice_id == invoice["invoice_id"], table.c.done_time.is_(None))
                .order_by(table.c.kind, table.c.created_at, table.c.movement_key)
            ).all()
        if not pending:
            return
        channel_id = ""
        for row in sorted(pending, key=lambda r: r.kind != CREDIT):
            if row.kind == CREDIT:
                if not channel_id:
                    channel_id = self._channel(invoice)
                self._wallet.top_up(
                    invoice["account_id"],
                    channel_id,
                    invoice["currency_code"],
                    row.amount_micros,
                    0,
                    invoice["number"] or invoice["invoice_id"],
                    row.movement_key,
                    SOURCE,
                )
            else:
                self._wallet.reverse_top_up(
                    invoice["account_id"],
                    row.top_up_key,
                    row.amount_micros,
                    0,
                    _reason(row.cause),
                    row.movement_key,
                )
            with self._engine.begin() as connection:
                connection.execute(
                    table.update()
                    .where(table.c.movement_key == row.movement_key)
                    .values(done_time=moment(self._clock))
                )

    def _channel(self, invoice: Row) -> str:
        """The balance the charges accrued on: the subscription's phone number where the
        account keeps its money per number, else the account's."""
        if not self._wallet.account_terms(invoice["account_id"]).funds_per_channel:
            return ""
        subscriptions = tables.subscriptions
        with self._engine.connect() as connection:
            channel = connection.execute(
                sa.select(subscriptions.c.channel_id).where(
                    subscriptions.c.subscription_id == invoice["subscription_id"]
                )
            ).scalar()
        return str(channel or "")


def charges_micros(connection: Connection, invoice_id: str) -> int:
    """What the invoice bills for the messages themselves (its "notifications" lines)."""
    lines = tables.invoice_lines
    total = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(lines.c.amount_micros), 0)).where(
            lines.c.invoice_id == invoice_id, lines.c.kind == CHARGE_LINE_KIND
        )
    ).scalar_one()
    return int(total)


def _net(connection: Connection, invoice_id: str) -> int:
    """Credited so far less taken back (planned movements included)."""
    table = tables.wallet_settlements
    rows = connection.execute(
        sa.select(table.c.kind, sa.func.coalesce(sa.func.sum(table.c.amount_micros), 0))
        .where(table.c.invoice_id == invoice_id)
        .group_by(table.c.kind)
    ).all()
    sums = {kind: int(amount) for kind, amount in rows}
    return sums.get(CREDIT, 0) - sums.get(TAKE_BACK, 0)


def _reason(cause: str) -> str:
    """The wallet's reversal reason, from what caused it ("refund:..." or "dispute:...")."""
    return "dispute" if cause.startswith("dispute:") else "refund"


def _planned(connection: Connection, cause: str) -> bool:
    table = tables.wallet_settlements
    found = connection.execute(
        sa.select(table.c.movement_key).where(table.c.cause == cause).limit(1)
    ).first()
    return found is not None


def _share(charges: int, reversed_micros: int, total: int) -> int:
    return money.divide_half_up(charges * reversed_micros, total)


def _plan_credit(connection: Connection, invoice: Row, amount: int) -> None:
    table = tables.wallet_settlements
    invoice_id = invoice["invoice_id"]
    credits = connection.execute(
        sa.select(sa.func.count()).where(table.c.invoice_id == invoice_id, table.c.kind == CREDIT)
    ).scalar_one()
    key = f"invoice:{invoice_id}:settle" + (f":{credits + 1}" if credits else "")
    connection.execute(
        table.insert().values(
            movement_key=key,
            invoice_id=invoice_id,
            account_id=invoice["account_id"],
            kind=CREDIT,
            top_up_key=key,
            cause=f"payment:{invoice_id}",
            amount_micros=amount,
            done_time=None,
        )
    )


def _plan_take_back(connection: Connection, invoice: Row, amount: int, cause: str) -> None:
    """Split `amount` over the credits still standing, the newest first."""
    table = tables.wallet_settlements
    rows = connection.execute(
        sa.select(table.c.kind, table.c.top_up_key, table.c.amount_micros, table.c.created_at)
        .where(table.c.invoice_id == invoice["invoice_id"])
        .order_by(table.c.created_at, table.c.movement_key)
    ).all()
    standing: dict[str, int] = {}
    for row in rows:
        sign = 1 if row.kind == CREDIT else -1
        standing[row.top_up_key] = standing.get(row.top_up_key, 0) + sign * row.amount_micros
    part_number = 0
    for top_up_key in reversed(list(standing)):
        if amount <= 0:
            break
        part = min(amount, standing[top_up_key])
        if part <= 0:
            continue
        part_number += 1
        connection.execute(
            table.insert().values(
                movement_key=f"{cause}:{part_number}",
                invoice_id=invoice["invoice_id"],
                account_id=invoice["account_id"],
                kind=TAKE_BACK,
                top_up_key=top_up_key,
                cause=cause,
                amount_micros=part,
                done_time=None,
            )
        )
        amount -= part
