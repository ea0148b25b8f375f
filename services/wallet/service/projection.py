"""The projector: each partition's ledger stream into the SQL ledger, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine

from services.wallet.adapters import ledger_sql
from services.wallet.adapters.streams import Entry, GroupReader
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact

log = logging.getLogger(__name__)
# Told the facts of each projected batch, before it is acknowledged (at least once).
Listener = Callable[[list[Fact]], object]


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
    )
    return fact, fields.get(b"m", b"").decode(), int(fields.get(b"e", b"0"))


def project(engine: Engine, entries: list[Entry]) -> list[Fact]:
    """Write the entries' transactions and reservation states in one SQL transaction."""
    decoded = [decode(fields) for _id, fields in entries]
    transactions = [ledger.post(fact) for fact, _m, _e in decoded]
    reservations = [item for item in decoded if item[0].kind != ledger.FREE]
    with engine.begin() as connection:
        ledger_sql.write_transactions(connection, transactions)
        ledger_sql.record_reservations(connection, reservations)
    return [fact for fact, _m, _e in decoded]


class Projector:
    """One step reads at most `batch` entries per partition, writes them, then acknowledges."""

    def __init__(self, engine: Engine, readers: list[GroupReader], batch: int) -> None:
        self._engine = engine
        self._readers = readers
        self._batch = batch
        self.listeners: list[Listener] = []

    def step(self) -> int:
        projected = 0
        for reader in self._readers:
            entries = reader.read(self._batch)
            if not entries:
                continue
            facts = project(self._engine, entries)
            projected += len(facts)
            for listener in self.listeners:
                try:
                    listener(facts)
                except Exception:
                    log.exception("projection listener failed")
            reader.ack([entry_id for entry_id, _fields in entries])
            reader.trim_acknowledged()
        return projected

    def drain(self, max_steps: int = 10_000) -> int:
        """Step until every stream is empty (bounded); returns entries projected."""
        total = 0
        for _ in range(max_steps):
            done = self.step()
            total += done
            if not done:
                return total
        return total
