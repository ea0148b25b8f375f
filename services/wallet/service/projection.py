"""The projector: each partition's ledger stream into the SQL ledger, idempotently."""

from __future__ import annotations

from collections.abc import Callable

from services.common.background import StreamConsumer
from services.common.clock import Clock, SystemClock
from services.common.streams import Entry, trim_acknowledged
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact
from services.wallet.domain.partitions import Keys
from services.wallet.service import credit_placement
from services.wallet.service.ports.send import LedgerStream
from services.wallet.service.ports.settlement import SettlementWorks

# Told the facts of each projected batch, before it is acknowledged (at least once).
Listener = Callable[[list[Fact]], object]
RESERVATION_KINDS = frozenset({ledger.HOLD}) | ledger.SETTLEMENTS
STREAM_CHUNK = 500


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


def project(works: SettlementWorks, entries: list[Entry], clock: Clock | None = None) -> list[Fact]:
    """Write the entries' transactions and reservation states in one SQL transaction; then
    tell the hot credit balance what that placed (unused credit back, expired credit out)."""
    decoded = [decode(fields) for _id, fields in entries]
    facts = [fact for fact, _m, _e in decoded]
    reservations = [item for item in decoded if item[0].kind in RESERVATION_KINDS]
    # A message's charge is posted once the entry that ends it (fin=1) is written.
    charged = [
        (fact.account_id, message_id)
        for (fact, message_id, _e), (_id, fields) in zip(decoded, entries, strict=True)
        if fields.get(b"fin") == b"1"
    ]
    with works() as work:
        work.postings.post(facts, reservations)
        work.charges.mark_posted(charged, (clock or SystemClock()).now_ms())
        work.commit()
    if any(credit_placement.moves_credit(fact) for fact in facts):
        with works() as work:
            work.postings.tell_hot(facts)
    return facts


class Projector:
    """One consumer per partition's ledger stream, in partition order: a step reads at most
    `batch` entries of each, writes them and tells the listeners, then acknowledges. A batch
    that fails (a listener included) is retried entry by entry, then set aside as a dead
    letter with an alert: one bad entry never stalls its partition."""

    def __init__(
        self,
        works: SettlementWorks,
        consumers: list[StreamConsumer],
        hot: LedgerStream,
        clock: Clock | None = None,
    ) -> None:
        self._works = works
        self._consumers = consumers
        self._hot = hot
        self._clock = clock or SystemClock()
        self._backlog = False  # the last step left a full batch behind in some partition
        self.listeners: list[Listener] = []

    def handle(self, entries: list[Entry]) -> None:
        """Project one batch of a partition's entries and tell the listeners (at least once)."""
        facts = project(self._works, entries, self._clock)
        for listener in self.listeners:
            listener(facts)

    def step(self) -> int:
        projected = 0
        self._backlog = False
        for consumer in self._consumers:
            done = consumer.step()
            if done:
                projected += done
                self._backlog = self._backlog or done >= consumer.batch
                reader = consumer.reader
                trim_acknowledged(reader.client, reader.stream, [reader.group])
        return projected

    def step_in_batches(self) -> int:
        """The background loop's step: it counts only while a partition filled its batch. The
        loop then steps again at once while more is waiting, and a trickle of entries waits for
        the loop's next interval to be written as one batch, not as one SQL transaction and a
        poll of every partition per send."""
        projected = self.step()
        return projected if self._backlog else 0

    def project_stream(self, keys: Keys) -> int:
        """Write one partition's whole ledger stream to SQL now (idempotent): what a rebuild
        must find in SQL. The projector still reads it in turn, and writes nothing twice."""
        projected = 0
        after = "-"
        while True:
            entries = self._hot.ledger_entries(keys, after, STREAM_CHUNK)
            if not entries:
                return projected
            project(self._works, entries, self._clock)
            projected += len(entries)
            after = "(" + entries[-1][0].decode()

    def drain(self, max_steps: int = 10_000) -> int:
        """Step until every stream is empty (bounded); returns entries projected."""
        total = 0
        for _ in range(max_steps):
            done = self.step()
            total += done
            if not done:
                return total
        return total
