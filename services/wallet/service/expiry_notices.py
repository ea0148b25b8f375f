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
import time
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import notices_pb2
from google.protobuf.message import Message
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.common import outbox
from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.service.accounts import Accounts
from services.wallet.service.settings import ALERTS_STREAM

NOTICE_IDS = uuid.UUID("6d0f8a52-2b7e-4f8e-9c1a-3e5b7d9f1a2c")
DAY_MS = 86_400_000
CREDIT_EXPIRING, CREDIT_EXPIRED, DAYS_RUNNING_OUT = (
    "credit_expiring",
    "credit_expired",
    "days_running_out",
)


def notice_id(kind: str, subject: str, instant: str) -> str:
    return uuid.uuid5(NOTICE_IDS, f"{kind}:{subject}:{instant}").hex


class ExpiryNotices:
    def __init__(
        self,
        engine: Engine,
        accounts: Accounts,
        credit_notice_days: int = 7,
        days_notice: int = 3,
        batch: int = 200,
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._credit_notice_ms = credit_notice_days * DAY_MS
        self._days_notice = days_notice
        self._batch = batch

    def step(self) -> int:
        now_ms = time.time_ns() // 1_000_000
        return self.credits(now_ms) + self.days(now_ms)

    def credits(self, now_ms: int) -> int:
        c = tables.credits.c
        with self._engine.connect() as connection:
            expiring = connection.execute(
                sa.select(tables.credits)
                .where(
                    c.written_off_ms.is_(None),
                    c.expire_ms > now_ms,
                    c.expire_ms <= now_ms + self._credit_notice_ms,
                )
                .order_by(c.expire_ms)
            ).mappings()
            expired = connection.execute(
                sa.select(tables.credits)
                .where(c.written_off_ms.is_not(None), c.written_off_ms > now_ms - DAY_MS)
                .order_by(c.written_off_ms)
            ).mappings()
            candidates = [(CREDIT_EXPIRING, row) for row in expiring] + [
                (CREDIT_EXPIRED, row) for row in expired
            ]
            fresh = _unannounced(
                connection,
                [
                    (notice_id(kind, row["credit_id"], str(row["expire_ms"])), (kind, row))
                    for kind, row in candidates
                ],
                self._batch,
            )
        written = 0
        for event_id, (kind, row) in fresh:
            remaining = self._remaining(row, kind, now_ms)
            if kind == CREDIT_EXPIRING and remaining <= 0:
                continue
            event = notices_pb2.CreditNotice(
                event_id=event_id,
                account_id=row["account_id"],
                credit_id=row["credit_id"],
                kind=kind,
                granted=_money(row["currency_code"], row["granted_micros"]),
                remaining=_money(row["currency_code"], remaining),
            )
            event.expire_time.FromMilliseconds(row["expire_ms"])
            event.occur_time.FromMilliseconds(now_ms)
            written += self._write(
                event_id,
                kind,
                row["account_id"],
                row["credit_id"],
                row["currency_code"],
                remaining,
                row["expire_ms"],
                event,
            )
        return written

    def _remaining(self, row: sa.RowMapping, kind: str, now_ms: int) -> int:
        """What the ledger says is left (expiring), or what the write-off took (expired)."""
        account = ledger.credit_account(row["account_id"], row["currency_code"], row["credit_id"])
        e = tables.ledger_entries.c
        with self._engine.connect() as connection:
            if kind == CREDIT_EXPIRING:
                total = connection.execute(
                    sa.select(sa.func.sum(e.credit_micros - e.debit_micros)).where(
                        e.account_id == row["account_id"], e.ledger_account == account
                    )
                ).scalar()
                return int(total or 0)
            taken = connection.execute(
                sa.select(sa.func.sum(e.debit_micros)).where(
                    e.account_id == row["account_id"],
                    e.ledger_account == account,
                    e.kind == ledger.CREDIT_EXPIRE,
                )
            ).scalar()
            return int(taken or 0)

    def days(self, now_ms: int) -> int:
        ch = tables.channels.c
        horizon = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date() + dt.timedelta(
            days=self._days_notice + 1
        )
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(tables.channels).where(
                    ch.deleted.is_(False),
                    ch.paid_through.is_not(None),
                    ch.paid_through <= horizon.isoformat(),
                )
            ).mappings()
            candidates = [
                (
                    notice_id(
                        DAYS_RUNNING_OUT,
                        f"{row['account_id']}:{row['channel_id']}",
                        row["paid_through"],
                    ),
                    row,
                )
                for row in rows
            ]
            fresh = _unannounced(connection, candidates, self._batch)
        written = 0
        for event_id, row in fresh:
            view = self._accounts.view(row["account_id"])
            zone = ZoneInfo(view.time_zone if view is not None else "UTC")
            today = dt.datetime.fromtimestamp(now_ms / 1000, zone).date()
            paid_through = dt.date.fromisoformat(row["paid_through"])
            days_left = (paid_through - today).days + 1
            if days_left > self._days_notice or days_left < 0:
                continue
            event = notices_pb2.DaysRunningOut(
                event_id=event_id,
                account_id=row["account_id"],
                channel_id=row["channel_id"],
                paid_through=row["paid_through"],
                days_left=days_left,
            )
            event.occur_time.FromMilliseconds(now_ms)
            written += self._write(
                event_id,
                DAYS_RUNNING_OUT,
                row["account_id"],
                row["channel_id"],
                "",
                days_left,
                now_ms,
                event,
            )
        return written

    def _write(
        self,
        event_id: str,
        kind: str,
        account_id: str,
        subject: str,
        currency: str,
        amount: int,
        instant_ms: int,
        event: Message,
    ) -> int:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    tables.balance_alerts.insert().values(
                        event_id=event_id,
                        account_id=account_id,
                        channel_id=subject[:128],
                        currency_code=currency,
                        kind=kind,
                        available_micros=amount,
                        crossing_ms=instant_ms,
                    )
                )
                outbox.add(
                    connection, tables.outbox, [outbox.event(ALERTS_STREAM, event_id, event)]
                )
        except IntegrityError:
            return 0
        return 1


def _unannounced(
    connection: sa.Connection, candidates: Sequence[tuple[str, Any]], limit: int
) -> list[tuple[str, Any]]:
    """The candidates whose event id has no row yet (at most `limit`)."""
    a = tables.balance_alerts.c
    fresh: list[tuple[str, Any]] = []
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        known = set(
            connection.execute(
                sa.select(a.event_id).where(a.event_id.in_([event_id for event_id, _ in chunk]))
            ).scalars()
        )
        fresh += [item for item in chunk if item[0] not in known]
        if len(fresh) >= limit:
            return fresh[:limit]
    return fresh


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)
