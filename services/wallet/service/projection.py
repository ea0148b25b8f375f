"""The projector: each partition's ledger stream into the SQL ledger, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine

from services.common.streams import Entry, GroupReader
from services.wallet.adapters import ledger_sql
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import credit_placement

log = logging.getLogger(__name__)
# Told the facts of each projected batch, before it is acknowledged (at least once).
Listener = Callable[[list[Fact]], object]
RESERVATION_KINDS = frozenset({ledger.HOLD}) | ledger.SETTLEMENTS


def decode(fields: dict[bytes, bytes]) -> tuple[Fact, str, int]:
    """A stream entry as a fact, with the message id and expiry of reservations."""
    kind = fields[b"k"].decode()
    fact = Fact(
        kind=kind,
        account_id=fields[b"a"].decode(),
        channel_id=fields[b"c"].decode(),
        currency=fields[b"cur"].decode(),
        reference=fields[b"ref"].decode(),
        amount_micros=int(fields[b"amt"]),
        actual_micros=int(fields.get(b"act", b"0")),
        at_ms=int(fields[b"at"]),
        credit_micros=int(fields.get(b"cr", b"0")),
    )
    return fact, fields.get(b"m", b"").decode(), int(fields.get(b"e", b"0"))


def project(
    engine: Engine,
    entries: list[Entry],
    hot: HotStore | None = None,
    partitioner: Partitioner | None = None,
) -> list[Fact]:
    """Write the entries' transactions and reservation states in one SQL transaction; then
    tell the hot credit balance what that placed (unused credit back, expired credit out)."""
    decoded = [decode(fields) for _id, fields in entries]
    facts = [fact for fact, _m, _e in decoded]
    moving_credit = any(credit_placement.moves_credit(fact) for fact in facts)
    if moving_credit and (hot is None or partitioner is None):
        raise ValueError("credit entries are projected only with the hot store at hand")
    reservations = [item for item in decoded if item[0].kind in RESERVATION_KINDS]
    with engine.begin() as connection:
        transactions = credit_placement.place(connection, facts)
        ledger_sql.write_transactions(connection, [t for t in transactions if t is not None])
        ledger_sql.record_reservations(connection, reservations)
    if moving_credit and hot is not None and partitioner is not None:
        with engine.connect() as connection:
            credit_placement.tell_hot(connection, hot, partitioner, facts)
    return facts


class Projector:
    """One step reads at most `batch` entries per partition, writes them, then acknowledges.

    The readers are one per partition, in order (the partitioner defaults to their count)."""

    def __init__(
        self,
        engine: Engine,
        readers: list[GroupReader],
        batch: int,
        hot: HotStore | None = None,
        partitioner: Partitioner | None = None,
    ) -> None:
        self._engine = engine
        self._readers = readers
        self._batch = batch
        self._hot = hot
        self._partitioner = partitioner or Partitioner(max(len(readers), 1))
        self._backlog = False  # the last step left a full batch behind in some partition
        self.listeners: list[Listener] = []

    def step(self) -> int:
        projected = 0
        self._backlog = False
        for reader in self._readers:
            entries = reader.read(self._batch)
            if not entries:
                continue
            self._backlog = self._backlog or len(entries) >= self._batch
            if self._hot is None:
                self._hot = HotStore(reader.client)
            facts = project(self._engine, entries, self._hot, self._partitioner)
            projected += len(facts)
            for listener in self.listeners:
                try:
                    listener(facts)
                except Exception:
                    log.exception("projection listener failed")
            reader.ack([entry_id for entry_id, _fields in entries])
            reader.trim_acknowledged()
        return projected

    def step_in_batches(self) -> int:
        """The background loop's step: it counts only while a partition filled its batch. The
        loop then steps again at once while more is waiting, and a trickle of entries waits for
        the loop's next interval to be written as one batch, not as one SQL transaction and a
        poll of every partition per send."""
        projected = self.step()
        return projected if self._backlog else 0

    def drain(self, max_steps: int = 10_000) -> int:
        """Step until every stream is empty (bounded); returns entries projected."""
        total = 0
        for _ in range(max_steps):
            done = self.step()
            total += done
            if not done:
                return total
        return total
