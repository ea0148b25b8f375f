"""The accounts' record in SQL: the profile as kept (its bytes), its version, and the columns
beside it that queries and the send path's checks read; account changes through the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import outbox
from services.wallet.adapters import tables
from services.wallet.adapters.profile_messages import (
    account_changed,
    profile_bytes,
    profile_from_bytes,
)
from services.wallet.service.commands.profiles import Profile, StoredProfile
from services.wallet.service.settings import ACCOUNTS_STREAM


class SqlAccountRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, account_id: str) -> StoredProfile | None:
        accounts = tables.accounts
        row = self._connection.execute(
            sa.select(accounts.c.profile, accounts.c.version).where(
                accounts.c.account_id == account_id
            )
        ).first()
        return None if row is None else StoredProfile(profile_from_bytes(row.profile), row.version)

    def find_for_update(self, account_id: str) -> StoredProfile | None:
        accounts = tables.accounts
        row = self._connection.execute(
            sa.select(accounts.c.profile, accounts.c.version)
            .where(accounts.c.account_id == account_id)
            .with_for_update()
        ).first()
        return None if row is None else StoredProfile(profile_from_bytes(row.profile), row.version)

    def exists(self, account_id: str) -> bool:
        accounts = tables.accounts
        found = self._connection.execute(
            sa.select(accounts.c.account_id).where(accounts.c.account_id == account_id)
        ).first()
        return found is not None

    def add(self, stored: StoredProfile, search_name: str, now_ms: int) -> None:
        self._connection.execute(
            tables.accounts.insert().values(
                account_id=stored.profile.account_id,
                created_ms=now_ms,
                **_columns(stored, search_name, now_ms),
            )
        )

    def replace(self, stored: StoredProfile, search_name: str, now_ms: int) -> None:
        accounts = tables.accounts
        self._connection.execute(
            accounts.update()
            .where(accounts.c.account_id == stored.profile.account_id)
            .values(**_columns(stored, search_name, now_ms))
        )

    def every(self) -> list[StoredProfile]:
        accounts = tables.accounts
        rows = self._connection.execute(
            sa.select(accounts.c.profile, accounts.c.version).order_by(accounts.c.account_id)
        ).all()
        return [StoredProfile(profile_from_bytes(row.profile), row.version) for row in rows]

    def holds_funds(self, account_id: str) -> bool:
        entries = tables.ledger_entries
        found = self._connection.execute(
            sa.select(entries.c.id).where(entries.c.account_id == account_id).limit(1)
        ).first()
        return found is not None


def _columns(stored: StoredProfile, search_name: str, now_ms: int) -> dict[str, object]:
    profile = stored.profile
    return {
        "currency_code": profile.currency_code,
        "status": profile.status,
        "funding_mode": profile.funding_mode,
        "balance_scope": profile.balance_scope,
        "overdraft_limit_micros": profile.overdraft_limit_micros,
        "version": stored.version,
        "profile": profile_bytes(profile),
        "updated_ms": now_ms,
        "search_name": search_name,
    }


class OutboxAccountChanges:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def publish(self, event_id: str, profile: Profile) -> None:
        event = outbox.event(ACCOUNTS_STREAM, event_id, account_changed(event_id, profile))
        outbox.add(self._connection, tables.outbox, [event])
