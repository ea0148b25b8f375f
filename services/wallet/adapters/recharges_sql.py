"""Auto-recharge rules, recharges and their attempts in SQL, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.wallet.adapters import tables
from services.wallet.domain import recharges as life
from services.wallet.service.commands.recharges import Attempt, Recharge, Rule


def _rule(row: RowMapping) -> Rule:
    return Rule(
        row["account_id"],
        row["channel_id"],
        row["currency_code"],
        row["enabled"],
        row["threshold_micros"],
        row["amount_micros"],
        row["cool_off_seconds"],
        row["max_per_month"],
    )


def _recharge(row: RowMapping) -> Recharge:
    return Recharge(**{field.name: row[field.name] for field in fields(Recharge)})


def _attempt(row: RowMapping) -> Attempt:
    return Attempt(**{field.name: row[field.name] for field in fields(Attempt)})


class SqlRules:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def store(self, rule: Rule, updated_ms: int) -> None:
        values = {
            "currency_code": rule.currency,
            "enabled": rule.enabled,
            "threshold_micros": rule.threshold_micros,
            "amount_micros": rule.amount_micros,
            "cool_off_seconds": rule.cool_off_s,
            "max_per_month": rule.max_per_month,
            "updated_ms": updated_ms,
        }
        table = tables.auto_recharges
        where = (table.c.account_id == rule.account_id, table.c.channel_id == rule.channel_id)
        updated = self._connection.execute(table.update().where(*where).values(**values))
        if updated.rowcount == 0:
            self._connection.execute(
                table.insert().values(
                    account_id=rule.account_id, channel_id=rule.channel_id, **values
                )
            )

    def of_accounts(self, account_ids: Sequence[str]) -> list[Rule]:
        table = tables.auto_recharges
        rows = (
            self._connection.execute(
                sa.select(table).where(table.c.account_id.in_(list(account_ids)))
            )
            .mappings()
            .all()
        )
        return [_rule(row) for row in rows]

    def of_account(self, account_id: str) -> list[Rule]:
        table = tables.auto_recharges
        query = (
            sa.select(table)
            .where(table.c.account_id == account_id)
            .order_by(table.c.channel_id, table.c.currency_code)
        )
        return [_rule(row) for row in self._connection.execute(query).mappings().all()]


class SqlRecharges:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _counted(
        self, account_id: str, channel_id: str, currency: str, excluding: str | None
    ) -> list[Any]:
        recharges = tables.recharges.c
        counted = [
            recharges.account_id == account_id,
            recharges.channel_id == channel_id,
            recharges.currency_code == currency,
            recharges.state.in_(life.COUNTED),
        ]
        if excluding is not None:
            counted.append(recharges.recharge_id != excluding)
        return counted

    def crossing_recorded(
        self, account_id: str, channel_id: str, currency: str, crossing_ms: int
    ) -> bool:
        recharges = tables.recharges.c
        existing = self._connection.execute(
            sa.select(recharges.recharge_id).where(
                recharges.account_id == account_id,
                recharges.channel_id == channel_id,
                recharges.currency_code == currency,
                recharges.crossing_ms == crossing_ms,
            )
        ).first()
        return existing is not None

    def last_counted_ms(
        self, account_id: str, channel_id: str, currency: str, excluding: str | None
    ) -> int | None:
        counted = self._counted(account_id, channel_id, currency, excluding)
        last_ms = self._connection.execute(
            sa.select(sa.func.max(tables.recharges.c.updated_ms)).where(*counted)
        ).scalar()
        return int(last_ms) if last_ms is not None else None

    def counted_since(
        self, account_id: str, channel_id: str, currency: str, since_ms: int, excluding: str | None
    ) -> int:
        counted = self._counted(account_id, channel_id, currency, excluding)
        found = self._connection.execute(
            sa.select(sa.func.count()).where(*counted, tables.recharges.c.created_ms >= since_ms)
        ).scalar_one()
        return int(found)

    def add(self, recharge: Recharge) -> None:
        values = {field.name: getattr(recharge, field.name) for field in fields(Recharge)}
        self._connection.execute(tables.recharges.insert().values(**values))

    def get(self, recharge_id: str) -> Recharge | None:
        table = tables.recharges
        row = (
            self._connection.execute(sa.select(table).where(table.c.recharge_id == recharge_id))
            .mappings()
            .first()
        )
        return _recharge(row) if row is not None else None

    def update(self, recharge_id: str, updated_ms: int, **values: object) -> None:
        table = tables.recharges
        self._connection.execute(
            table.update()
            .where(table.c.recharge_id == recharge_id)
            .values(updated_ms=updated_ms, **values)
        )

    def waiting_due(self, now_ms: int, limit: int) -> list[Recharge]:
        recharges = tables.recharges.c
        rows = (
            self._connection.execute(
                sa.select(tables.recharges)
                .where(recharges.state.in_(life.WAITING), recharges.next_attempt_ms <= now_ms)
                .order_by(recharges.next_attempt_ms)
                .limit(limit)
            )
            .mappings()
            .all()
        )
        return [_recharge(row) for row in rows]

    def unanswered(self, updated_by_ms: int, limit: int) -> list[Recharge]:
        recharges = tables.recharges.c
        rows = (
            self._connection.execute(
                sa.select(tables.recharges)
                .where(
                    recharges.state.in_((life.REQUESTED, life.CHARGING)),
                    recharges.updated_ms <= updated_by_ms,
                )
                .order_by(recharges.updated_ms)
                .limit(limit)
            )
            .mappings()
            .all()
        )
        return [_recharge(row) for row in rows]

    def page(self, account_id: str, limit: int, offset: int) -> list[Recharge]:
        table = tables.recharges
        rows = (
            self._connection.execute(
                sa.select(table)
                .where(table.c.account_id == account_id)
                .order_by(table.c.created_ms.desc(), table.c.recharge_id)
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        return [_recharge(row) for row in rows]


class SqlAttempts:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, idempotency_key: str) -> Attempt | None:
        attempts = tables.recharge_attempts
        row = (
            self._connection.execute(
                sa.select(attempts).where(attempts.c.idempotency_key == idempotency_key)
            )
            .mappings()
            .first()
        )
        return _attempt(row) if row is not None else None

    def known(self, idempotency_key: str) -> bool:
        attempts = tables.recharge_attempts
        found = self._connection.execute(
            sa.select(attempts.c.idempotency_key).where(
                attempts.c.idempotency_key == idempotency_key
            )
        ).first()
        return found is not None

    def requested_ms(self, idempotency_key: str) -> int | None:
        attempts = tables.recharge_attempts
        found = self._connection.execute(
            sa.select(attempts.c.requested_ms).where(attempts.c.idempotency_key == idempotency_key)
        ).scalar()
        return int(found) if found is not None else None

    def add(self, attempt: Attempt) -> None:
        values = {field.name: getattr(attempt, field.name) for field in fields(Attempt)}
        self._connection.execute(tables.recharge_attempts.insert().values(**values))

    def update(self, idempotency_key: str, updated_ms: int, **values: object) -> None:
        table = tables.recharge_attempts
        self._connection.execute(
            table.update()
            .where(table.c.idempotency_key == idempotency_key)
            .values(updated_ms=updated_ms, **values)
        )

    def of_recharges(self, recharge_ids: Sequence[str]) -> list[Attempt]:
        attempts = tables.recharge_attempts
        rows = (
            self._connection.execute(
                sa.select(attempts)
                .where(attempts.c.recharge_id.in_(list(recharge_ids)))
                .order_by(attempts.c.attempt)
            )
            .mappings()
            .all()
        )
        return [_attempt(row) for row in rows]
