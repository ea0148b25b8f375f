"""The SQL unit of work money moves in: one transaction on the ledger, the top-ups and their
reversals, the credits and the kept answers, under the account's write lock."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from google.protobuf.message import Message
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common.idempotency import SqlReplies
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import credit_messages, ledger_sql, tables
from services.wallet.adapters.account_lock import lock_account
from services.wallet.adapters.credits_sql import SqlCredits
from services.wallet.adapters.top_ups_sql import SqlReversals, SqlTopUps, ordered
from services.wallet.domain.ledger import Transaction as Posting
from services.wallet.service.commands.credits import Credit, Redeemed
from services.wallet.service.commands.money import LedgerEntry
from services.wallet.service.ports.money import (
    ChannelNumbers,
    CreditRecords,
    DuplicateKey,
    LedgerRecords,
    ReversalRecords,
    TopUpRecords,
)


class SqlLedger:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def write(self, postings: Sequence[Posting]) -> None:
        ledger_sql.write_transactions(self._connection, postings)

    def balance(self, ledger_account: str) -> int:
        return ledger_sql.account_balance(self._connection, ledger_account)

    def entries(
        self, account_id: str, newest_first: bool, limit: int, offset: int
    ) -> list[LedgerEntry]:
        entries = tables.ledger_entries
        rows = (
            self._connection.execute(
                sa.select(entries)
                .where(entries.c.account_id == account_id)
                .order_by(*ordered((entries.c.id,), newest_first))
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        return [
            LedgerEntry(
                entry_id=row["entry_id"],
                transaction_id=row["transaction_id"],
                account_id=row["account_id"],
                ledger_account=row["ledger_account"],
                debit_micros=row["debit_micros"],
                credit_micros=row["credit_micros"],
                currency_code=row["currency_code"],
                kind=row["kind"],
                reference=row["reference"],
                created_ms=row["created_ms"],
            )
            for row in rows
        ]


class SqlChannelNumbers:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def display_phone(self, account_id: str, channel_id: str) -> str:
        phone = self._connection.execute(
            sa.select(tables.channels.c.display_phone_number).where(
                tables.channels.c.account_id == account_id,
                tables.channels.c.channel_id == channel_id,
                tables.channels.c.deleted.is_(False),
            )
        ).scalar()
        return str(phone or "")


class SqlMoneyWork(SqlTransaction):
    top_ups: TopUpRecords
    reversals: ReversalRecords
    ledger: LedgerRecords
    channels: ChannelNumbers
    credits: CreditRecords
    granted: Replies[Credit]
    redeemed: Replies[Redeemed]

    def _bind(self, connection: Connection) -> None:
        self._locking = connection
        self.top_ups = SqlTopUps(connection)
        self.reversals = SqlReversals(connection)
        self.ledger = SqlLedger(connection)
        self.channels = SqlChannelNumbers(connection)
        self.credits = SqlCredits(connection)
        self.granted = SqlReplies(
            connection,
            tables.idempotency_keys,
            lambda credit: _bytes(credit_messages.granted_response(credit)),
            credit_messages.granted_of,
        )
        self.redeemed = SqlReplies(
            connection,
            tables.idempotency_keys,
            lambda redeemed: _bytes(credit_messages.redeemed_response(redeemed)),
            credit_messages.redeemed_of,
        )

    def lock_account(self, account_id: str) -> None:
        lock_account(self._locking, account_id)

    def commit(self) -> None:
        try:
            super().commit()
        except IntegrityError as error:
            raise DuplicateKey(str(error.orig)) from error


def _bytes(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)


class SqlMoneyWorks:
    """Opens a unit of work per use of the ledger."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> SqlMoneyWork:
        return SqlMoneyWork(self._engine)
