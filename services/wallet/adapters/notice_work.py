"""The notices unit of work: balance alerts and notices recorded in wallet_balance_alerts
with their outbox events, and what the expiry scanners read, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services.common import outbox
from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import tables
from services.wallet.adapters.notice_messages import alert_message, notice_message
from services.wallet.service.commands.notices import BalanceAlert, Notice
from services.wallet.service.ports.notices import (
    AlertRecords,
    CreditGrant,
    NoticeRecords,
    NoticeTaken,
    PaidChannel,
)
from services.wallet.service.settings import ALERTS_STREAM


class SqlAlertRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, alert: BalanceAlert) -> bool:
        table = tables.balance_alerts
        found = self._connection.execute(
            sa.select(table.c.event_id).where(table.c.event_id == alert.event_id)
        ).first()
        if found is not None:
            return False
        self._connection.execute(
            table.insert().values(
                event_id=alert.event_id,
                account_id=alert.account_id,
                channel_id=alert.channel_id,
                currency_code=alert.currency,
                kind=alert.kind,
                available_micros=alert.available_micros,
                crossing_ms=alert.crossing_ms,
            )
        )
        event = outbox.event(ALERTS_STREAM, alert.event_id, alert_message(alert))
        outbox.add(self._connection, tables.outbox, [event])
        return True


def _grant(row: RowMapping) -> CreditGrant:
    return CreditGrant(
        credit_id=row["credit_id"],
        account_id=row["account_id"],
        currency=row["currency_code"],
        granted_micros=row["granted_micros"],
        expire_ms=row["expire_ms"],
    )


class SqlNoticeRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def announced(self, event_ids: Sequence[str]) -> set[str]:
        a = tables.balance_alerts.c
        found = self._connection.execute(sa.select(a.event_id).where(a.event_id.in_(event_ids)))
        return set(found.scalars())

    def add(
        self,
        notice: Notice,
        kind: str,
        subject: str,
        currency: str,
        amount: int,
        instant_ms: int,
    ) -> None:
        self._connection.execute(
            tables.balance_alerts.insert().values(
                event_id=notice.event_id,
                account_id=notice.account_id,
                channel_id=subject[:128],
                currency_code=currency,
                kind=kind,
                available_micros=amount,
                crossing_ms=instant_ms,
            )
        )
        self.publish(notice)

    def publish(self, notice: Notice) -> None:
        event = outbox.event(ALERTS_STREAM, notice.event_id, notice_message(notice))
        outbox.add(self._connection, tables.outbox, [event])

    def expiring_credits(self, now_ms: int, within_ms: int) -> list[CreditGrant]:
        c = tables.credits.c
        rows = self._connection.execute(
            sa.select(tables.credits)
            .where(
                c.written_off_ms.is_(None),
                c.expire_ms > now_ms,
                c.expire_ms <= now_ms + within_ms,
            )
            .order_by(c.expire_ms)
        ).mappings()
        return [_grant(row) for row in rows]

    def written_off_credits(self, since_ms: int) -> list[CreditGrant]:
        c = tables.credits.c
        rows = self._connection.execute(
            sa.select(tables.credits)
            .where(c.written_off_ms.is_not(None), c.written_off_ms > since_ms)
            .order_by(c.written_off_ms)
        ).mappings()
        return [_grant(row) for row in rows]

    def credit_left(self, account_id: str, ledger_account: str) -> int:
        e = tables.ledger_entries.c
        total = self._connection.execute(
            sa.select(sa.func.sum(e.credit_micros - e.debit_micros)).where(
                e.account_id == account_id, e.ledger_account == ledger_account
            )
        ).scalar()
        return int(total or 0)

    def credit_written_off(self, account_id: str, ledger_account: str, kind: str) -> int:
        e = tables.ledger_entries.c
        taken = self._connection.execute(
            sa.select(sa.func.sum(e.debit_micros)).where(
                e.account_id == account_id, e.ledger_account == ledger_account, e.kind == kind
            )
        ).scalar()
        return int(taken or 0)

    def channels_paid_through(self, last_day: str) -> list[PaidChannel]:
        ch = tables.channels.c
        rows = self._connection.execute(
            sa.select(tables.channels).where(
                ch.deleted.is_(False),
                ch.paid_through.is_not(None),
                ch.paid_through <= last_day,
            )
        ).mappings()
        return [
            PaidChannel(row["account_id"], row["channel_id"], row["paid_through"]) for row in rows
        ]


class NoticeUnitOfWork(SqlTransaction):
    alerts: AlertRecords
    notices: NoticeRecords

    def _bind(self, connection: Connection) -> None:
        self.alerts = SqlAlertRecords(connection)
        self.notices = SqlNoticeRecords(connection)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        super().__exit__(kind, error, trace)
        if isinstance(error, IntegrityError):
            raise NoticeTaken(str(error.orig)) from error

    def commit(self) -> None:
        try:
            super().commit()
        except IntegrityError as error:
            raise NoticeTaken(str(error.orig)) from error


def notice_work(engine: Engine) -> Callable[[], NoticeUnitOfWork]:
    return lambda: NoticeUnitOfWork(engine)
