"""Auto-recharge rules: a threshold and an amount per balance, with a cool-off and a cap per
calendar month; checked, stored (idempotently when given a key) and read back."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from services.common import currencies, validation
from services.common.clock import Clock
from services.common.errors import InvalidArgument
from services.common.replies import once
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.commands.recharges import Balance, Rule, RuleGiven, SetAutoRecharge
from services.wallet.service.funds import MAX_TOP_UP_MICROS
from services.wallet.service.ports.recharges import RechargeWork

MAX_COOL_OFF_S = 31 * 86_400
MAX_PER_MONTH = 1_000


class RechargeRules:
    def __init__(self, work: Callable[[], RechargeWork], accounts: Accounts, clock: Clock) -> None:
        self._work = work
        self._accounts = accounts
        self._clock = clock

    def set(self, command: SetAutoRecharge) -> Rule:
        view = require_account(self._accounts, command.account_id)
        rule = _checked(view, command.rule)
        updated_ms = self._clock.now_ms()
        with self._work() as work:

            def write() -> Rule:
                work.rules.store(rule, updated_ms)
                return rule

            if not command.idempotency_key:
                answer = write()  # a PUT: the same request again changes nothing
            else:
                answer = once(
                    work.rules_set,
                    f"SetAutoRecharge:{view.account_id}",
                    command.idempotency_key,
                    command.request_sha256,
                    write,
                )
            work.commit()
        return answer

    def get(self, account_id: str, channel_id: str) -> Rule:
        view = require_account(self._accounts, account_id)
        channel_id = channel_of(view, channel_id, "channel_id")
        found = self.rules_for([(view.account_id, channel_id, view.currency)])
        rule = found.get((view.account_id, channel_id, view.currency))
        if rule is None:
            rule = Rule(view.account_id, channel_id, view.currency, False, 0, 0, 0, 0)
        return rule

    def list_rules(self, account_id: str) -> list[Rule]:
        """Every rule the account has, enabled or not (one per balance at most)."""
        view = require_account(self._accounts, account_id)
        with self._work() as work:
            return work.rules.of_account(view.account_id)

    def rules_for(self, balances: Iterable[Balance]) -> dict[Balance, Rule]:
        """The rules of these balances, in one query."""
        wanted = set(balances)
        accounts = sorted({account for account, _c, _cur in wanted})
        if not accounts:
            return {}
        with self._work() as work:
            found = work.rules.of_accounts(accounts)
        rules = {}
        for rule in found:
            key = (rule.account_id, rule.channel_id, rule.currency)
            if key in wanted:
                rules[key] = rule
        return rules


def channel_of(view: AccountView, channel_id: str, field: str) -> str:
    if view.balance_scope == SCOPE_CHANNEL:
        return validation.require_id(channel_id, field)
    if channel_id:
        raise InvalidArgument(field, "this account keeps its funds per account")
    return ""


def _checked(view: AccountView, given: RuleGiven) -> Rule:
    where = "auto_recharge"
    if given.account_id and given.account_id != view.account_id:
        raise InvalidArgument(f"{where}.account_id", "must be the request's account_id")
    channel_id = channel_of(view, given.channel_id, f"{where}.channel_id")
    currency = given.currency_code or view.currency
    validation.currency(currency, f"{where}.currency_code")
    if currency != view.currency:
        raise InvalidArgument(f"{where}.currency_code", f"the account bills in {view.currency}")
    validation.amount(given.threshold_micros, f"{where}.threshold_micros")
    validation.amount(given.amount_micros, f"{where}.amount_micros", positive=given.enabled)
    for name, value, top in (
        ("threshold_micros", given.threshold_micros, MAX_TOP_UP_MICROS),
        ("amount_micros", given.amount_micros, MAX_TOP_UP_MICROS),
        ("cool_off_seconds", given.cool_off_seconds, MAX_COOL_OFF_S),
    ):
        validation.amount(value, f"{where}.{name}")
        if value > top:
            raise InvalidArgument(f"{where}.{name}", f"at most {top}")
    if not currencies.is_whole_minor_units(given.amount_micros, currency):
        digits = currencies.minor_digits(currency)
        raise InvalidArgument(
            f"{where}.amount_micros",
            f"a card is charged in whole {currency} minor units ({digits} decimals)",
        )
    if given.enabled and not 1 <= given.max_per_month <= MAX_PER_MONTH:
        raise InvalidArgument(f"{where}.max_per_month", f"must be 1 to {MAX_PER_MONTH}")
    if not 0 <= given.max_per_month <= MAX_PER_MONTH:
        raise InvalidArgument(f"{where}.max_per_month", f"must be 0 to {MAX_PER_MONTH}")
    return Rule(
        view.account_id,
        channel_id,
        currency,
        given.enabled,
        given.threshold_micros,
        given.amount_micros,
        given.cool_off_seconds,
        given.max_per_month,
    )
