"""Compare the hot state with the SQL ledger per account, and rebuild an account from SQL."""

from __future__ import annotations

from dataclasses import dataclass

from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts
from services.wallet.service.ports.send import CreditBalance, HotBalances, LedgerCredits
from services.wallet.service.ports.settlement import SettlementWorks


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


class Reconciler:
    def __init__(
        self, works: SettlementWorks, hot: HotBalances, partitioner: Partitioner, accounts: Accounts
    ) -> None:
        self._works = works
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts

    def differences(self, account_id: str) -> list[Difference]:
        keys = self._partitioner.keys(account_id)
        redis_side = self._hot.balances(keys, account_id)
        with self._works() as work:
            sql_side = work.ledger.balances(account_id)
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
        with self._works() as work:
            sql_side = work.ledger.credits(account_id)
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
