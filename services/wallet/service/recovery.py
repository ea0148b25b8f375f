"""The hot state written again from SQL: one account on an operator's word, or every account
of a partition whose ready marker is gone (Redis lost its data, or it never held it).

Nothing moves meanwhile: a partition without its marker, or an account fenced for a rebuild,
refuses every change (sends answer UNAVAILABLE, settlements and top-ups wait). Then the
partition's ledger stream is projected whole (idempotent), SQL is read in one snapshot, and
Redis is written: balances, open holds, credits, paid days, the markers of top-ups already in
the ledger (never applied twice), and the reservations of charges whose ledger entries were
lost, which are then applied again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.wallet.adapters import charges_sql, tables
from services.wallet.adapters.hot_store import HeldReservation, HotSnapshot, HotStore
from services.wallet.domain.partitions import Keys, Partitioner
from services.wallet.service.accounts import Accounts
from services.wallet.service.reconcile import ledger_balances_in, ledger_credits_in

log = logging.getLogger(__name__)
LOCK_MS = 120_000  # a recovery that takes longer is taken over by another process
SETTLED_STATES = ("committed", "released", "expired")
Project = Callable[[Keys], int]


class Recovery:
    def __init__(
        self,
        engine: Engine,
        hot: HotStore,
        partitioner: Partitioner,
        accounts: Accounts,
        project_stream: Project,
        after_rebuild: Callable[[], object],
    ) -> None:
        """project_stream: writes one partition's whole ledger stream to SQL (idempotent);
        after_rebuild: applies the charges set to be applied again."""
        self._engine = engine
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._project_stream = project_stream
        self._after_rebuild = after_rebuild
        self._owner = uuid.uuid4().hex

    def step(self) -> int:
        """Rebuild every partition that lacks its ready marker; the number rebuilt."""
        missing = self._hot.unready(self._partitioner.all())
        if not missing:
            return 0
        wanted = {keys.prefix for keys in missing}
        by_partition: dict[str, list[str]] = defaultdict(list)
        for account_id in self._account_ids():
            keys = self._partitioner.keys(account_id)
            if keys.prefix in wanted:
                by_partition[keys.prefix].append(account_id)
        rebuilt = 0
        for keys in missing:
            if not self._hot.lock(keys.recovering, self._owner, LOCK_MS):
                continue  # another process is at it
            try:
                started = time.monotonic()
                self._project_stream(keys)
                for account_id in by_partition.get(keys.prefix, []):
                    self._rebuild(keys, account_id)
                self._hot.mark_ready(keys)
                rebuilt += 1
                accounts = len(by_partition.get(keys.prefix, []))
                (log.warning if accounts else log.info)(
                    "partition rebuilt from SQL",
                    extra={
                        "partition": keys.prefix,
                        "accounts": accounts,
                        "seconds": round(time.monotonic() - started, 3),
                    },
                )
            finally:
                self._hot.unlock(keys.recovering, self._owner)
        if rebuilt:
            self._after_rebuild()
        return rebuilt

    def rebuild_account(self, account_id: str) -> HotSnapshot:
        """An operator's rebuild of one live account: fenced while it runs."""
        if self._accounts.refresh(account_id) is None:
            raise LookupError(f"account {account_id!r} not found")
        keys = self._partitioner.keys(account_id)
        self._hot.fence(keys, account_id)
        try:
            self._project_stream(keys)
            snapshot = self._rebuild(keys, account_id)
        finally:
            self._hot.unfence(keys, account_id)
        self._after_rebuild()
        return snapshot

    def _rebuild(self, keys: Keys, account_id: str) -> HotSnapshot:
        if self._accounts.refresh(account_id) is None:
            return HotSnapshot()
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            snapshot = _snapshot(connection, account_id)
            # Charges applied to Redis whose ledger entries were lost: applied again below.
            lost = charges_sql.unposted(connection, [account_id])
            charges_sql.record_again(connection, lost, time.time_ns() // 1_000_000)
            snapshot.settled.extend(_reservations(connection, account_id, lost))
            _mark_top_ups_applied(connection, snapshot.applied_top_ups)
        self._hot.restore(keys, account_id, snapshot)
        return snapshot

    def _account_ids(self) -> list[str]:
        with self._engine.connect() as connection:
            return list(connection.execute(sa.select(tables.accounts.c.account_id)).scalars())


def _snapshot(connection: Connection, account_id: str) -> HotSnapshot:
    """What SQL says the account's hot state is, read in the caller's transaction."""
    r = tables.reservations.c
    held = connection.execute(
        sa.select(tables.reservations).where(r.account_id == account_id, r.state == "held")
    ).all()
    t = tables.top_ups.c
    recorded = connection.execute(
        sa.select(t.top_up_id).where(t.account_id == account_id, t.state == "recorded")
    ).scalars()
    return HotSnapshot(
        balances=ledger_balances_in(connection, account_id),
        holds=[_held(row) for row in held],
        credits=ledger_credits_in(connection, account_id),
        applied_top_ups=list(recorded),
    )


def _reservations(
    connection: Connection, account_id: str, charges: list[charges_sql.Charge]
) -> list[HeldReservation]:
    """The settled reservations those charges were authorised with, as SQL has them."""
    ids = [c.reservation_id for c in charges if c.reservation_id]
    messages = [c.message_id for c in charges if not c.reservation_id]
    if not ids and not messages:
        return []
    r = tables.reservations.c
    rows = connection.execute(
        sa.select(tables.reservations).where(
            r.account_id == account_id,
            r.state.in_(SETTLED_STATES),
            sa.or_(r.reservation_id.in_(ids), r.message_id.in_(messages)),
        )
    ).all()
    return [_held(row) for row in rows]


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


def _mark_top_ups_applied(connection: Connection, top_up_ids: list[str]) -> None:
    """Top-ups recorded in the ledger (so in the rebuilt balance): never to be applied again."""
    if top_up_ids:
        t = tables.top_ups
        connection.execute(
            t.update()
            .where(t.c.top_up_id.in_(top_up_ids), t.c.state == "recorded")
            .values(state="applied", applied_ms=time.time_ns() // 1_000_000)
        )
