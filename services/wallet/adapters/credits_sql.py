"""Credits, their redemptions and what the ledger says is left of them, in SQL, inside the
caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.service.commands.credits import CreditRecord, Redemption

MESSAGES = "messages"


def credit_record(row: RowMapping) -> CreditRecord:
    return CreditRecord(
        credit_id=row["credit_id"],
        account_id=row["account_id"],
        currency_code=row["currency_code"],
        granted_micros=row["granted_micros"],
        expire_ms=row["expire_ms"],
        priority=row["priority"],
        applies_to=row["applies_to"],
        reason=row["reason"],
        idempotency_key=row["idempotency_key"],
        created_ms=row["created_ms"],
        applied_ms=row["applied_ms"],
        written_off_ms=row["written_off_ms"],
    )


class SqlCredits:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _records(self, query: Any) -> list[CreditRecord]:
        return [credit_record(row) for row in self._connection.execute(query).mappings().all()]

    def add(self, record: CreditRecord) -> None:
        values: dict[str, Any] = {
            "credit_id": record.credit_id,
            "account_id": record.account_id,
            "currency_code": record.currency_code,
            "granted_micros": record.granted_micros,
            "expire_ms": record.expire_ms,
            "priority": record.priority,
            "applies_to": record.applies_to,
            "reason": record.reason,
            "idempotency_key": record.idempotency_key,
            "created_ms": record.created_ms,
            "written_off_ms": None,
        }
        self._connection.execute(tables.credits.insert().values(**values))

    def page(self, account_id: str, limit: int, offset: int) -> list[CreditRecord]:
        credits = tables.credits.c
        return self._records(
            sa.select(tables.credits)
            .where(credits.account_id == account_id)
            .order_by(credits.created_ms, credits.credit_id)
            .limit(limit)
            .offset(offset)
        )

    def remaining(self, account_id: str, records: Sequence[CreditRecord]) -> dict[str, int]:
        by_account = {
            ledger.credit_account(account_id, record.currency_code, record.credit_id): (
                record.credit_id
            )
            for record in records
        }
        left = dict.fromkeys(by_account.values(), 0)
        if not by_account:
            return left
        entries = tables.ledger_entries.c
        sums = self._connection.execute(
            sa.select(
                entries.ledger_account, sa.func.sum(entries.credit_micros - entries.debit_micros)
            )
            .where(entries.account_id == account_id, entries.ledger_account.in_(list(by_account)))
            .group_by(entries.ledger_account)
        )
        for ledger_account, balance in sums:
            left[by_account[ledger_account]] = int(balance or 0)
        return left

    def redemptions(self, account_id: str, credit_ids: Sequence[str]) -> list[Redemption]:
        if not credit_ids:
            return []
        table = tables.credit_redemptions.c
        rows = self._connection.execute(
            sa.select(tables.credit_redemptions)
            .where(table.account_id == account_id, table.credit_id.in_(list(credit_ids)))
            .order_by(table.created_ms, table.redemption_id)
        ).mappings()
        return [
            Redemption(
                row["credit_id"],
                row["invoice_id"],
                row["currency_code"],
                row["amount_micros"],
                row["created_ms"],
            )
            for row in rows
        ]

    def usable(
        self, account_id: str, applies_to: str, now_ms: int, limit: int
    ) -> list[CreditRecord]:
        credits = tables.credits.c
        return self._records(
            sa.select(tables.credits)
            .where(
                credits.account_id == account_id,
                credits.written_off_ms.is_(None),
                credits.expire_ms > now_ms,
                credits.applies_to.contains(applies_to),
                ~credits.applies_to.contains(MESSAGES),
            )
            .order_by(credits.priority, credits.expire_ms, credits.created_ms, credits.credit_id)
            .limit(limit)
        )

    def add_redemption(
        self, redemption_id: str, redemption: Redemption, account_id: str, idempotency_key: str
    ) -> None:
        self._connection.execute(
            tables.credit_redemptions.insert().values(
                redemption_id=redemption_id,
                account_id=account_id,
                credit_id=redemption.credit_id,
                invoice_id=redemption.invoice_id,
                currency_code=redemption.currency_code,
                amount_micros=redemption.amount_micros,
                idempotency_key=idempotency_key,
                created_ms=redemption.created_ms,
            )
        )

    def unapplied(self, now_ms: int, recorded_by_ms: int, limit: int) -> list[CreditRecord]:
        credits = tables.credits.c
        return self._records(
            sa.select(tables.credits)
            .where(
                credits.applied_ms.is_(None),
                credits.written_off_ms.is_(None),
                credits.expire_ms > now_ms,
                credits.created_ms <= recorded_by_ms,
                credits.applies_to.contains(MESSAGES),
            )
            .order_by(credits.created_ms)
            .limit(limit)
        )

    def expired(self, account_id: str, now_ms: int, limit: int) -> list[CreditRecord]:
        credits = tables.credits.c
        due = sa.select(tables.credits).where(
            credits.written_off_ms.is_(None), credits.expire_ms <= now_ms
        )
        if account_id:
            due = due.where(credits.account_id == account_id)
        return self._records(due.order_by(credits.expire_ms).limit(limit))

    def mark_written_off(self, credit_id: str, at_ms: int) -> None:
        credits = tables.credits.c
        self._connection.execute(
            tables.credits.update()
            .where(credits.credit_id == credit_id, credits.written_off_ms.is_(None))
            .values(written_off_ms=at_ms)
        )
