"""Compare the hot state with the SQL ledger per account, and rebuild an account from SQL."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.wallet.adapters import ledger_sql, tables
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts

Balances = dict[tuple[str, str], tuple[int, int]]  # (channel, currency) -> (available, held)


@dataclass(frozen=True, slots=True)
class Difference:
    account_id: str
    channel_id: str
    currency: str
    what: str  # "available" or "held"
    redis_micros: int
    sql_micros: int

    def __str__(self) -> str:
        where = f"{self.account_id} {self.currency}" + (
            f" channel {self.channel_id}" if self.channel_id else ""
        )
        return f"{where} {self.what}: redis {self.redis_micros} != ledger {self.sql_micros}"


def ledger_balances(engine: Engine, account_id: str) -> Balances:
    """What the SQL ledger says an account holds, per channel and currency."""
    prefix = f"customer:{account_id}:"
    found: dict[tuple[str, str], list[int]] = {}
    with engine.connect() as connection:
        for balance in ledger_sql.balances_of(connection, account_id):
            kind, _, rest = balance.ledger_account[len(prefix) :].partition(":")
            if kind not in ("money", "held"):
                continue  # credits are compared by their own check
            currency, _, channel = rest.partition(":")
            pair = found.setdefault((channel, currency), [0, 0])
            pair[0 if kind == "money" else 1] += balance.balance_micros
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


class Reconciler:
    def __init__(
        self, engine: Engine, hot: HotStore, partitioner: Partitioner, accounts: Accounts
    ) -> None:
        self._engine = engine
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts

    def differences(self, account_id: str) -> list[Difference]:
        keys = self._partitioner.keys(account_id)
        redis_side = self._hot.balances(keys, account_id)
        sql_side = ledger_balances(self._engine, account_id)
        found = []
        for channel, currency in sorted(set(redis_side) | set(sql_side)):
            hot = redis_side.get((channel, currency), (0, 0))
            cold = sql_side.get((channel, currency), (0, 0))
            for index, what in enumerate(("available", "held")):
                if hot[index] != cold[index]:
                    found.append(
                        Difference(account_id, channel, currency, what, hot[index], cold[index])
                    )
        return found

    def all_differences(self) -> tuple[int, list[Difference]]:
        views = self._accounts.all_views()
        found: list[Difference] = []
        for view in views:
            found += self.differences(view.account_id)
        return len(views), found

    def rebuild(self, account_id: str) -> Balances:
        """Overwrite the account's hot copy, balances and open holds with what SQL records."""
        view = self._accounts.refresh(account_id)
        if view is None:
            raise LookupError(f"account {account_id!r} not found")
        keys = self._partitioner.keys(account_id)
        balances = ledger_balances(self._engine, account_id)
        reservations = tables.reservations.c
        with self._engine.connect() as connection:
            held = (
                connection.execute(
                    sa.select(tables.reservations).where(
                        reservations.account_id == account_id, reservations.state == "held"
                    )
                )
                .mappings()
                .all()
            )
        pipe = self._hot.client.pipeline(transaction=False)
        pipe.delete(keys.balances(account_id))
        for (channel, currency), (available, reserved) in balances.items():
            pipe.hset(
                keys.balances(account_id),
                mapping={
                    f"{channel}:{currency}:available": available,
                    f"{channel}:{currency}:held": reserved,
                },
            )
        for row in held:
            pipe.hset(
                keys.reservation(row["reservation_id"]),
                mapping={
                    "account": account_id,
                    "channel": row["channel_id"],
                    "currency": row["currency_code"],
                    "amount": row["amount_micros"],
                    "state": "held",
                    "message": row["message_id"],
                    "expire": row["expire_ms"],
                },
            )
            pipe.zadd(keys.expiry, {row["reservation_id"]: row["expire_ms"]})
        pipe.execute()
        return balances
