"""Compare the hot state with the SQL ledger per account, and rebuild an account from SQL."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.wallet.adapters import ledger_sql, tables
from services.wallet.adapters.hot_store import CreditBalance, HotStore, LedgerCredits
from services.wallet.domain import ledger
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
    with engine.connect() as connection:
        return ledger_balances_in(connection, account_id)


def ledger_balances_in(connection: Connection, account_id: str) -> Balances:
    prefix = f"customer:{account_id}:"
    found: dict[tuple[str, str], list[int]] = {}
    for balance in ledger_sql.balances_of(connection, account_id):
        kind, _, rest = balance.ledger_account[len(prefix) :].partition(":")
        if kind not in ("money", "held"):
            continue  # credits are compared by their own check
        currency, _, channel = rest.partition(":")
        pair = found.setdefault((channel, currency), [0, 0])
        pair[0 if kind == "money" else 1] += balance.balance_micros
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def ledger_credits(engine: Engine, account_id: str) -> dict[str, LedgerCredits]:
    """Currency -> the account's credits for messages, as the SQL ledger has them."""
    with engine.connect() as connection:
        return ledger_credits_in(connection, account_id)


def ledger_credits_in(connection: Connection, account_id: str) -> dict[str, LedgerCredits]:
    credits = tables.credits.c
    rows = connection.execute(
        sa.select(
            credits.credit_id, credits.currency_code, credits.expire_ms, credits.applies_to
        ).where(
            credits.account_id == account_id,
            credits.applied_ms.is_not(None),
            credits.written_off_ms.is_(None),
        )
    ).all()
    balances = {b.ledger_account: b for b in ledger_sql.balances_of(connection, account_id)}
    found: dict[str, LedgerCredits] = {}

    def of(currency: str) -> LedgerCredits:
        if currency not in found:
            held = balances.get(ledger.credit_held_account(account_id, currency))
            found[currency] = LedgerCredits(0, held.balance_micros if held else 0, {})
        return found[currency]

    for name, balance in balances.items():
        if name == ledger.credit_held_account(account_id, balance.currency):
            of(balance.currency)
    for credit_id, currency, expire_ms, applies_to in rows:
        if "messages" not in applies_to.split(","):
            continue
        left = balances.get(ledger.credit_account(account_id, currency, credit_id))
        of(currency).grants[credit_id] = (left.balance_micros if left else 0, expire_ms)
    return {
        currency: LedgerCredits(sum(g[0] for g in c.grants.values()), c.held, c.grants)
        for currency, c in found.items()
    }


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
        return found + self._credit_differences(account_id)

    def _credit_differences(self, account_id: str) -> list[Difference]:
        keys = self._partitioner.keys(account_id)
        redis_side = self._hot.credit_balances(keys, account_id)
        sql_side = ledger_credits(self._engine, account_id)
        found = []
        for currency in sorted(set(redis_side) | set(sql_side)):
            hot = redis_side.get(currency, CreditBalance())
            cold = sql_side.get(currency, LedgerCredits(0, 0, {}))
            pairs = (
                ("credit available", hot.available, cold.available),
                ("credit held", hot.held + hot.returning, cold.held),
            )
            for what, redis_micros, sql_micros in pairs:
                if redis_micros != sql_micros:
                    found.append(
                        Difference(account_id, "", currency, what, redis_micros, sql_micros)
                    )
        return found

    def all_differences(self) -> tuple[int, list[Difference]]:
        views = self._accounts.all_views()
        found: list[Difference] = []
        for view in views:
            found += self.differences(view.account_id)
        return len(views), found
