"""Auto-recharge (360dialog auto-renewal): a threshold and an amount per balance; once per
crossing below the threshold, with a cool-off and a cap per calendar month, the wallet asks
invoicing to charge the default card (a RechargeRequested event through its outbox, written
under the account's lock with the recharge it asks for). Invoicing charges, credits the
balance by TopUp with the attempt's key and answers on its event stream; RechargeOutcomes
applies the answers. The wallet never calls invoicing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from services.common import currencies, metrics, validation
from services.common.clock import Clock
from services.wallet.domain import recharges as life
from services.wallet.domain.accounts import AccountView
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.alerts import RECHARGE_FAILED, RECHARGE_HELD, recharge_alert
from services.wallet.service.commands.money import MONEY, Listed, ListPage
from services.wallet.service.commands.recharges import (
    Balance,
    Recharge,
    RechargeHistory,
    Rule,
    SetAutoRecharge,
)
from services.wallet.service.funds import Funds
from services.wallet.service.ports.recharges import RechargeWork
from services.wallet.service.recharge_requests import allowed_from_ms, request_charge, requested_ms
from services.wallet.service.recharge_rules import RechargeRules

__all__ = ["AutoRecharges", "Balance", "Rule"]


class AutoRecharges:
    def __init__(
        self,
        work: Callable[[], RechargeWork],
        accounts: Accounts,
        funds: Funds,
        retry_s: float,
        clock: Clock,
    ) -> None:
        """retry_s: a request left unanswered this long is published again (same key)."""
        self._work = work
        self._accounts = accounts
        self._funds = funds
        self._retry_ms = int(retry_s * 1000)
        self._clock = clock
        self.rules = RechargeRules(work, accounts, clock)

    def set(self, command: SetAutoRecharge) -> Rule:
        return self.rules.set(command)

    def get(self, account_id: str, channel_id: str) -> Rule:
        return self.rules.get(account_id, channel_id)

    def list_rules(self, account_id: str) -> list[Rule]:
        return self.rules.list_rules(account_id)

    def rules_for(self, balances: Iterable[Balance]) -> dict[Balance, Rule]:
        return self.rules.rules_for(balances)

    def fire(self, view: AccountView, rule: Rule, crossing_ms: int) -> bool:
        """Record the recharge of one crossing, once: asked of invoicing now, or held for the
        cool-off or the monthly cap (fire_due asks once they allow it). Under the account's
        lock, so that concurrent sends on any number of processes decide on one reading."""
        now_ms = self._clock.now_ms()
        fee = currencies.round_half_up_to_minor_unit(
            self._funds.fee_micros(view, rule.amount_micros), rule.currency
        )
        with self._work() as work:
            work.lock_account(rule.account_id)
            if work.recharges.crossing_recorded(
                rule.account_id, rule.channel_id, rule.currency, crossing_ms
            ):
                work.commit()
                return True
            allowed_ms = allowed_from_ms(work, view, rule, now_ms)
            held = allowed_ms > now_ms
            recharge = Recharge(
                recharge_id=uuid.uuid4().hex,
                account_id=rule.account_id,
                channel_id=rule.channel_id,
                currency_code=rule.currency,
                crossing_ms=crossing_ms,
                amount_micros=rule.amount_micros,
                fee_micros=fee,
                state=life.HELD if held else life.REQUESTED,
                top_up_id=None,
                problem=life.HELD_PROBLEM if held else "",
                created_ms=now_ms,
                updated_ms=now_ms,
                attempts=0 if held else 1,
                next_attempt_ms=allowed_ms if held else None,
            )
            work.recharges.add(recharge)
            if held:  # the customer hears why no recharge came yet
                work.alerts.add(
                    recharge_alert(
                        RECHARGE_HELD,
                        rule.account_id,
                        rule.channel_id,
                        rule.currency,
                        crossing_ms,
                        rule.amount_micros,
                        problem=life.HELD_PROBLEM,
                    )
                )
            else:
                request_charge(work, recharge, 1, now_ms)
            work.commit()
        return True

    def fire_due(self, limit: int) -> int:
        """The loop's pass: recharges held back or declined whose time has come, with no
        further send needed. A held one whose balance went back above the threshold ends."""
        now_ms = self._clock.now_ms()
        with self._work() as work:
            due = work.recharges.waiting_due(now_ms, limit)
        return sum(self._fire_again(recharge, now_ms) for recharge in due)

    def _fire_again(self, row: Recharge, now_ms: int) -> bool:
        view = require_account(self._accounts, row.account_id)
        balance = (row.account_id, row.channel_id, row.currency_code)
        rule = self.rules_for([balance]).get(balance)
        skip = ""
        if rule is None or not rule.enabled:
            skip = "auto-recharge was switched off"
        elif row.state == life.HELD and self._available(row) >= rule.threshold_micros:
            skip = "the balance is back above the threshold"
        with self._work() as work:
            work.lock_account(row.account_id)
            now = work.recharges.get(row.recharge_id)
            if now is None or now.state != row.state:
                work.commit()
                return False  # another process took it
            if skip:
                work.recharges.update(
                    row.recharge_id, now_ms, state=life.SKIPPED, problem=skip, next_attempt_ms=None
                )
                work.commit()
                return True
            if row.state == life.HELD and rule is not None:
                allowed_ms = allowed_from_ms(work, view, rule, now_ms, row.recharge_id)
                if allowed_ms > now_ms:
                    work.recharges.update(row.recharge_id, now_ms, next_attempt_ms=allowed_ms)
                    work.commit()
                    return False
            attempt = int(now.attempts) + 1
            work.recharges.update(
                row.recharge_id,
                now_ms,
                state=life.REQUESTED,
                attempts=attempt,
                next_attempt_ms=None,
                problem="",
            )
            request_charge(work, now, attempt, now_ms)
            work.commit()
        return True

    def resume(self, limit: int) -> int:
        """The sweeper: ask again (same key, so never charged twice) for recharges invoicing
        has not answered within retry_s, e.g. a request it set aside after its retries; after
        UNANSWERED_MS the recharge fails, with an alert (an answer that still comes stands)."""
        now_ms = self._clock.now_ms()
        with self._work() as work:
            waiting = work.recharges.unanswered(now_ms - self._retry_ms, limit)
        asked = 0
        for row in waiting:
            with self._work() as work:
                work.lock_account(row.account_id)
                now = work.recharges.get(row.recharge_id)
                if now is None or now.state != row.state or now.updated_ms != row.updated_ms:
                    work.commit()
                    continue
                attempt = max(int(now.attempts), 1)
                if now_ms - requested_ms(work, now, attempt) >= life.UNANSWERED_MS:
                    work.recharges.update(
                        now.recharge_id,
                        now_ms,
                        state=life.FAILED,
                        problem=life.UNANSWERED_PROBLEM,
                        next_attempt_ms=None,
                    )
                    metrics.instruments().recharges.add(1, {"outcome": "unanswered"})
                    work.alerts.add(
                        recharge_alert(
                            RECHARGE_FAILED,
                            now.account_id,
                            now.channel_id,
                            now.currency_code,
                            int(now.crossing_ms),
                            int(now.amount_micros),
                            problem=life.UNANSWERED_PROBLEM,
                        )
                    )
                    work.commit()
                    continue
                work.recharges.update(
                    now.recharge_id, now_ms, state=life.REQUESTED, attempts=attempt
                )
                request_charge(work, now, attempt, now_ms)
                work.commit()
                asked += 1
        return asked

    def list(self, page: ListPage) -> Listed[RechargeHistory]:
        """Every crossing's recharge: state, amount, fee, and each attempt with its outcome."""
        view = require_account(self._accounts, page.account_id)
        limit, offset = validation.page(page.page_size, page.page_token)
        with self._work() as work:
            rows = work.recharges.page(view.account_id, limit, offset)
            history: dict[str, RechargeHistory] = {
                row.recharge_id: RechargeHistory(row, []) for row in rows
            }
            if history:
                for attempt in work.attempts.of_recharges(list(history)):
                    history[attempt.recharge_id].attempts.append(attempt)
        return Listed(
            [history[row.recharge_id] for row in rows],
            validation.next_page_token(offset, limit, len(rows)),
        )

    def _available(self, row: Recharge) -> int:
        balance = (row.currency_code, row.channel_id)
        for held in self._funds.holdings(row.account_id, row.channel_id):
            if held.kind == MONEY and (held.currency_code, held.channel_id) == balance:
                return held.available_micros
        return 0
