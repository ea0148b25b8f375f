"""The wallet's scanners behind credit.expiring, credit.expired and days.running_out: each
notice once (a row in wallet_balance_alerts under its derived event id, written with its outbox
event in one transaction).

- a credit grant with something left expires within `credit_notice_ms` (7 days): credit_expiring;
- a credit grant written off in the last day: credit_expired, with what was left;
- a channel's paid days end within `days_notice` days (today counts): days_running_out, once
  per channel and paid-through date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from services.common.clock import Clock
from services.wallet.domain import ledger
from services.wallet.service.accounts import Accounts
from services.wallet.service.commands.notices import CreditNotice, DaysRunningOut, Notice
from services.wallet.service.ports.notices import (
    CreditGrant,
    NoticeRecords,
    NoticeTaken,
    NoticeWork,
    PaidChannel,
)

NOTICE_IDS = uuid.UUID("6d0f8a52-2b7e-4f8e-9c1a-3e5b7d9f1a2c")
DAY_MS = 86_400_000
ANNOUNCED_CHUNK = 500  # event ids looked up at once
CREDIT_EXPIRING, CREDIT_EXPIRED, DAYS_RUNNING_OUT = (
    "credit_expiring",
    "credit_expired",
    "days_running_out",
)
T = TypeVar("T")


def notice_id(kind: str, subject: str, instant: str) -> str:
    return uuid.uuid5(NOTICE_IDS, f"{kind}:{subject}:{instant}").hex


class ExpiryNotices:
    def __init__(
        self,
        work: Callable[[], NoticeWork],
        accounts: Accounts,
        clock: Clock,
        credit_notice_days: int = 7,
        days_notice: int = 3,
        batch: int = 200,
    ) -> None:
        self._work = work
        self._accounts = accounts
        self._clock = clock
        self._credit_notice_ms = credit_notice_days * DAY_MS
        self._days_notice = days_notice
        self._batch = batch

    def step(self) -> int:
        now_ms = self._clock.now_ms()
        return self.credits(now_ms) + self.days(now_ms)

    def credits(self, now_ms: int) -> int:
        with self._work() as work:
            expiring = work.notices.expiring_credits(now_ms, self._credit_notice_ms)
            expired = work.notices.written_off_credits(now_ms - DAY_MS)
            candidates = [(CREDIT_EXPIRING, grant) for grant in expiring] + [
                (CREDIT_EXPIRED, grant) for grant in expired
            ]
            fresh = _unannounced(
                work.notices,
                [
                    (notice_id(kind, grant.credit_id, str(grant.expire_ms)), (kind, grant))
                    for kind, grant in candidates
                ],
                self._batch,
            )
        written = 0
        for event_id, (kind, grant) in fresh:
            remaining = self._remaining(grant, kind)
            if kind == CREDIT_EXPIRING and remaining <= 0:
                continue
            notice = CreditNotice(
                event_id=event_id,
                kind=kind,
                account_id=grant.account_id,
                credit_id=grant.credit_id,
                currency=grant.currency,
                granted_micros=grant.granted_micros,
                remaining_micros=remaining,
                expire_ms=grant.expire_ms,
                occur_ms=now_ms,
            )
            written += self._write(
                notice, kind, grant.credit_id, grant.currency, remaining, grant.expire_ms
            )
        return written

    def _remaining(self, grant: CreditGrant, kind: str) -> int:
        """What the ledger says is left (expiring), or what the write-off took (expired)."""
        account = ledger.credit_account(grant.account_id, grant.currency, grant.credit_id)
        with self._work() as work:
            if kind == CREDIT_EXPIRING:
                return work.notices.credit_left(grant.account_id, account)
            return work.notices.credit_written_off(grant.account_id, account, ledger.CREDIT_EXPIRE)

    def days(self, now_ms: int) -> int:
        horizon = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date() + dt.timedelta(
            days=self._days_notice + 1
        )
        with self._work() as work:
            channels = work.notices.channels_paid_through(horizon.isoformat())
            candidates = [
                (
                    notice_id(
                        DAYS_RUNNING_OUT, f"{row.account_id}:{row.channel_id}", row.paid_through
                    ),
                    row,
                )
                for row in channels
            ]
            fresh = _unannounced(work.notices, candidates, self._batch)
        written = 0
        for event_id, row in fresh:
            written += self._days_running_out(event_id, row, now_ms)
        return written

    def _days_running_out(self, event_id: str, row: PaidChannel, now_ms: int) -> int:
        view = self._accounts.view(row.account_id)
        zone = ZoneInfo(view.time_zone if view is not None else "UTC")
        today = dt.datetime.fromtimestamp(now_ms / 1000, zone).date()
        paid_through = dt.date.fromisoformat(row.paid_through)
        days_left = (paid_through - today).days + 1
        if days_left > self._days_notice or days_left < 0:
            return 0
        notice = DaysRunningOut(
            event_id=event_id,
            account_id=row.account_id,
            channel_id=row.channel_id,
            paid_through=row.paid_through,
            days_left=days_left,
            occur_ms=now_ms,
        )
        return self._write(notice, DAYS_RUNNING_OUT, row.channel_id, "", days_left, now_ms)

    def _write(
        self, notice: Notice, kind: str, subject: str, currency: str, amount: int, instant_ms: int
    ) -> int:
        try:
            with self._work() as work:
                work.notices.add(notice, kind, subject, currency, amount, instant_ms)
                work.commit()
        except NoticeTaken:
            return 0
        return 1


def _unannounced(
    notices: NoticeRecords, candidates: Sequence[tuple[str, T]], limit: int
) -> list[tuple[str, T]]:
    """The candidates whose event id has no row yet (at most `limit`)."""
    fresh: list[tuple[str, T]] = []
    for start in range(0, len(candidates), ANNOUNCED_CHUNK):
        chunk = candidates[start : start + ANNOUNCED_CHUNK]
        known = notices.announced([event_id for event_id, _ in chunk])
        fresh += [item for item in chunk if item[0] not in known]
        if len(fresh) >= limit:
            return fresh[:limit]
    return fresh
