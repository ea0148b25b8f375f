"""The send path's unit of work on SQL: charges, ledger reads, the hot state's records and the
projector's postings, on one connection and transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import charges_sql, credit_placement_sql, ledger_sql, tables
from services.wallet.adapters.account_lock import lock_account
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import credit_placement
from services.wallet.service.ports.send import Balances, HeldReservation, LedgerCredits
from services.wallet.service.ports.settlement import (
    Charge,
    ChargeRecords,
    HotRecords,
    Key,
    LedgerReads,
    Postings,
    Reserving,
)

SETTLED_STATES = ("committed", "released", "expired")


class SqlCharges:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, charges: Sequence[Charge], now_ms: int) -> list[Charge]:
        return charges_sql.record(self._connection, charges, now_ms)

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[Charge]:
        return charges_sql.recorded_before(self._connection, cutoff_ms, limit)

    def mark_applied(self, applied: Iterable[Charge], now_ms: int) -> None:
        charges_sql.mark_applied(self._connection, applied, now_ms)

    def mark_posted(self, keys: Iterable[Key], now_ms: int) -> None:
        charges_sql.mark_posted(self._connection, keys, now_ms)

    def reservations_of(self, keys: Sequence[Key]) -> dict[Key, str]:
        return charges_sql.reservations_of(self._connection, keys)

    def unposted(self, account_ids: Sequence[str]) -> list[Charge]:
        return charges_sql.unposted(self._connection, account_ids)

    def record_again(self, charges: Iterable[Charge], now_ms: int) -> None:
        charges_sql.record_again(self._connection, charges, now_ms)


class SqlLedgerReads:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def balances(self, account_id: str) -> Balances:
        prefix = f"customer:{account_id}:"
        found: dict[tuple[str, str], list[int]] = {}
        for balance in ledger_sql.balances_of(self._connection, account_id):
            kind, _, rest = balance.ledger_account[len(prefix) :].partition(":")
            if kind not in ("money", "held"):
                continue  # credits are compared by their own check
            currency, _, channel = rest.partition(":")
            pair = found.setdefault((channel, currency), [0, 0])
            pair[0 if kind == "money" else 1] += balance.balance_micros
        return {key: (pair[0], pair[1]) for key, pair in found.items()}

    def credits(self, account_id: str) -> dict[str, LedgerCredits]:
        connection = self._connection
        credits = tables.credits.c
        rows = connection.execute(
            sa.select(
                credits.credit_id, credits.currency_code, credits.expire_ms, credits.applies_to
            ).where(
                credits.account_id == account_id,
                credits.applied_ms.is_not(None),
                credits.written_off_ms.is_(None),
            )
        ).all()
        balances = {b.ledger_account: b for b in ledger_sql.balances_of(connection, account_id)}
        found: dict[str, LedgerCredits] = {}

        def of(currency: str) -> LedgerCredits:
            if currency not in found:
                held = balances.get(ledger.credit_held_account(account_id, currency))
                found[currency] = LedgerCredits(0, held.balance_micros if held else 0, {})
            return found[currency]

        for name, balance in balances.items():
            if name == ledger.credit_held_account(account_id, balance.currency):
                of(balance.currency)
        for credit_id, currency, expire_ms, applies_to in rows:
            if "messages" not in applies_to.split(","):
                continue
            left = balances.get(ledger.credit_account(account_id, currency, credit_id))
            of(currency).grants[credit_id] = (left.balance_micros if left else 0, expire_ms)
        return {
            currency: LedgerCredits(sum(g[0] for g in c.grants.values()), c.held, c.grants)
            for currency, c in found.items()
        }


class SqlHotRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def account_ids(self) -> list[str]:
        return list(self._connection.execute(sa.select(tables.accounts.c.account_id)).scalars())

    def held(self, account_id: str) -> list[HeldReservation]:
        r = tables.reservations.c
        rows = self._connection.execute(
            sa.select(tables.reservations).where(r.account_id == account_id, r.state == "held")
        ).all()
        return [_held(row) for row in rows]

    def settled_for(self, account_id: str, charges: list[Charge]) -> list[HeldReservation]:
        ids = [c.reservation_id for c in charges if c.reservation_id]
        messages = [c.message_id for c in charges if not c.reservation_id]
        if not ids and not messages:
            return []
        r = tables.reservations.c
        rows = self._connection.execute(
            sa.select(tables.reservations).where(
                r.account_id == account_id,
                r.state.in_(SETTLED_STATES),
                sa.or_(r.reservation_id.in_(ids), r.message_id.in_(messages)),
            )
        ).all()
        return [_held(row) for row in rows]

    def recorded_top_ups(self, account_id: str) -> list[str]:
        t = tables.top_ups.c
        found = self._connection.execute(
            sa.select(t.top_up_id).where(t.account_id == account_id, t.state == "recorded")
        ).scalars()
        return list(found)

    def mark_top_ups_applied(self, top_up_ids: list[str], now_ms: int) -> None:
        if top_up_ids:
            t = tables.top_ups
            self._connection.execute(
                t.update()
                .where(t.c.top_up_id.in_(top_up_ids), t.c.state == "recorded")
                .values(state="applied", applied_ms=now_ms)
            )


class SqlPostings:
    def __init__(
        self, connection: Connection, hot: HotStore | None, partitioner: Partitioner | None
    ) -> None:
        self._connection = connection
        self._hot = hot
        self._partitioner = partitioner

    def post(self, facts: list[Fact], reservations: list[Reserving]) -> None:
        if (self._hot is None or self._partitioner is None) and any(
            credit_placement.moves_credit(fact) for fact in facts
        ):
            raise ValueError("credit entries are projected only with the hot store at hand")
        for account_id in credit_placement.locked_accounts(facts):
            lock_account(self._connection, account_id)
        transactions = credit_placement_sql.place(self._connection, facts)
        ledger_sql.write_transactions(self._connection, [t for t in transactions if t is not None])
        ledger_sql.record_reservations(self._connection, reservations)

    def tell_hot(self, facts: list[Fact]) -> None:
        if self._hot is not None and self._partitioner is not None:
            credit_placement_sql.tell_hot(self._connection, self._hot, self._partitioner, facts)


def _held(row: sa.Row) -> HeldReservation:  # type: ignore[type-arg]
    return HeldReservation(
        reservation_id=row.reservation_id,
        channel_id=row.channel_id,
        currency=row.currency_code,
        amount_micros=row.amount_micros,
        credit_micros=row.credit_micros,
        message_id=row.message_id,
        expire_ms=row.expire_ms,
        state=row.state,
        committed_micros=row.committed_micros,
    )


class SqlSettlementWork(SqlTransaction):
    charges: ChargeRecords
    ledger: LedgerReads
    hot_records: HotRecords
    postings: Postings

    def __init__(
        self,
        engine: Engine,
        snapshot: bool = False,
        hot: HotStore | None = None,
        partitioner: Partitioner | None = None,
    ) -> None:
        super().__init__(engine)
        self._snapshot = snapshot
        self._hot = hot
        self._partitioner = partitioner

    def _bind(self, connection: Connection) -> None:
        if self._snapshot and connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        self.charges = SqlCharges(connection)
        self.ledger = SqlLedgerReads(connection)
        self.hot_records = SqlHotRecords(connection)
        self.postings = SqlPostings(connection, self._hot, self._partitioner)


class SqlSettlementWorks:
    """Units of work on one engine; with the hot store, the postings tell it what credit they
    placed."""

    def __init__(
        self,
        engine: Engine,
        hot: HotStore | None = None,
        partitioner: Partitioner | None = None,
    ) -> None:
        self._engine = engine
        self._hot = hot
        self._partitioner = partitioner

    def __call__(self, snapshot: bool = False) -> SqlSettlementWork:
        return SqlSettlementWork(self._engine, snapshot, self._hot, self._partitioner)
