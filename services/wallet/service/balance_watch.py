"""After balances move: notice each crossing below a threshold once, and act on it once.

Thresholds per balance: zero (available reaches 0), the low-balance alert (the account's or
the wallet's default) and the auto-recharge rule. It runs on each projected batch of the
ledger streams (holds, commits, releases, expiries) and after each applied top-up, so a
balance that went back above a threshold is seen before it can fall again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from services.common.clock import Clock
from services.wallet.domain import ledger
from services.wallet.domain.ledger import Fact
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts
from services.wallet.service.alerts import (
    LOW_BALANCE,
    ZERO_BALANCE,
    BalanceAlerts,
    balance_alert,
)
from services.wallet.service.auto_recharge import AutoRecharges, Balance, Rule
from services.wallet.service.ports.notices import BalanceCrossings

log = logging.getLogger(__name__)
RECHARGE = "recharge"
MOVES = frozenset({ledger.HOLD, ledger.COMMIT, ledger.RELEASE, ledger.EXPIRE, ledger.TOP_UP})


class BalanceWatch:
    def __init__(
        self,
        accounts: Accounts,
        partitioner: Partitioner,
        crossings: BalanceCrossings,
        alerts: BalanceAlerts,
        recharges: AutoRecharges,
        default_low_micros: int,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._partitioner = partitioner
        self._crossings = crossings
        self._alerts = alerts
        self._recharges = recharges
        self._default_low_micros = default_low_micros
        self._clock = clock

    def after_projection(self, facts: list[Fact]) -> int:
        """The projector's listener: every balance its batch moved (the batch bounds them)."""
        return self.observe(
            (fact.account_id, fact.channel_id, fact.currency)
            for fact in facts
            if fact.kind in MOVES
        )

    def after_top_up(self, account_id: str, channel_id: str, currency: str) -> None:
        self.observe([(account_id, channel_id, currency)])

    def observe(self, balances: Iterable[Balance]) -> int:
        """Observe each balance once; a failure on one is logged and does not stop the rest."""
        touched = sorted(set(balances))
        rules = self._recharges.rules_for(touched)
        acted = 0
        for balance in touched:
            try:
                acted += self._observe(balance, rules)
            except Exception:
                log.exception("balance watch failed", extra={"account_id": balance[0]})
        return acted

    def _observe(self, balance: Balance, rules: dict[Balance, Rule]) -> int:
        account_id, channel_id, currency = balance
        view = self._accounts.view(account_id)
        if view is None:
            return 0
        thresholds = {ZERO_BALANCE: 1}
        low = view.low_balance_threshold_micros
        low = self._default_low_micros if low is None else low
        if low > 0:
            thresholds[LOW_BALANCE] = low
        rule = rules.get(balance)
        if rule is not None and rule.enabled:
            thresholds[RECHARGE] = rule.threshold_micros
        keys = self._partitioner.keys(account_id)
        field = f"{channel_id}:{currency}"
        now_ms = self._clock.now_ms()
        seen = self._crossings.observe(keys, account_id, field, thresholds, now_ms)
        acted = 0
        recovered = [name for name in (LOW_BALANCE, ZERO_BALANCE) if name in seen.ended_crossings]
        if recovered:  # one notice, for the highest threshold the balance went back above
            self._alerts.publish_recovered(
                recovered[0],
                account_id,
                channel_id,
                currency,
                seen.available_micros,
                seen.ended_crossings[recovered[0]],
            )
        for name, crossing_ms in seen.open_crossings.items():
            if name == RECHARGE:
                done = rule is not None and self._recharges.fire(view, rule, crossing_ms)
            else:
                self._alerts.publish(
                    balance_alert(
                        name, account_id, channel_id, currency, seen.available_micros, crossing_ms
                    )
                )
                done = True
            if done and self._crossings.served(keys, account_id, field, name, crossing_ms):
                acted += 1
        return acted
