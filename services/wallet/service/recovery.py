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

from services.common.clock import Clock, SystemClock
from services.wallet.domain.partitions import Keys, Partitioner
from services.wallet.service.accounts import Accounts
from services.wallet.service.ports.send import HotSnapshot, Rebuilds
from services.wallet.service.ports.settlement import SettlementWorks

log = logging.getLogger(__name__)
LOCK_MS = 120_000  # a recovery that takes longer is taken over by another process
Project = Callable[[Keys], int]


class Recovery:
    def __init__(
        self,
        works: SettlementWorks,
        hot: Rebuilds,
        partitioner: Partitioner,
        accounts: Accounts,
        project_stream: Project,
        after_rebuild: Callable[[], object],
        clock: Clock | None = None,
    ) -> None:
        """project_stream: writes one partition's whole ledger stream to SQL (idempotent);
        after_rebuild: applies the charges set to be applied again."""
        self._works = works
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._project_stream = project_stream
        self._after_rebuild = after_rebuild
        self._owner = uuid.uuid4().hex
        self._clock = clock or SystemClock()

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
        with self._works(snapshot=True) as work:
            records = work.hot_records
            held = records.held(account_id)
            recorded = records.recorded_top_ups(account_id)
            snapshot = HotSnapshot(
                balances=work.ledger.balances(account_id),
                holds=held,
                credits=work.ledger.credits(account_id),
                applied_top_ups=recorded,
            )
            # Charges applied to Redis whose ledger entries were lost: applied again below.
            lost = work.charges.unposted([account_id])
            now_ms = self._clock.now_ms()
            work.charges.record_again(lost, now_ms)
            snapshot.settled.extend(records.settled_for(account_id, lost))
            records.mark_top_ups_applied(snapshot.applied_top_ups, now_ms)
            work.commit()
        self._hot.restore(keys, account_id, snapshot)
        return snapshot

    def _account_ids(self) -> list[str]:
        with self._works() as work:
            return work.hot_records.account_ids()
