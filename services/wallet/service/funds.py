"""Money in and what an account holds: top-ups (SQL first, then Redis), balances, listings."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from services.common import idempotency, validation
from services.common.clock import Clock
from services.common.errors import Conflict, InvalidArgument
from services.wallet.domain import ledger
from services.wallet.domain.accounts import SCOPE_CHANNEL, AccountView, TopUpFeeRule
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.commands.money import (
    CREDIT,
    MONEY,
    RECORDED,
    Holding,
    LedgerEntry,
    Listed,
    ListPage,
    Money,
    QuoteTopUp,
    ReversalRecord,
    ReverseTopUp,
    TopUp,
    TopUpQuote,
    TopUpRecord,
)
from services.wallet.service.ports.money import DuplicateKey, HotMoney, MoneyWork
from services.wallet.service.ports.send import HotStateBusy
from services.wallet.service.top_up_reversals import TopUpReversals

# Lua compares balances as doubles: amounts stay far below 2**53 micros.
MAX_TOP_UP_MICROS = 10**15
NO_FEE = TopUpFeeRule(0, 0)
# bank_transfer: an operator's credit of a transfer received (its reference is the transfer's).
SOURCES = frozenset({"manual", "add_funds", "auto_recharge", "invoice_payment", "bank_transfer"})
log = logging.getLogger(__name__)
# Told (account, channel, currency) after a top-up reached the hot balance.
Listener = Callable[[str, str, str], None]


class Funds:
    def __init__(
        self,
        work: Callable[[], MoneyWork],
        hot: HotMoney,
        partitioner: Partitioner,
        accounts: Accounts,
        clock: Clock,
        default_fee: TopUpFeeRule = NO_FEE,
    ) -> None:
        self._work = work
        self._hot = hot
        self._partitioner = partitioner
        self._accounts = accounts
        self._clock = clock
        self._default_fee = default_fee
        self.listeners: list[Listener] = []
        self._reversals = TopUpReversals(work, hot, partitioner, clock, self._tell_listeners)

    def fee_micros(self, view: AccountView, amount_micros: int) -> int:
        """The transaction fee charged on top of a top-up: the account's rule, else the default."""
        return (view.top_up_fee or self._default_fee).fee_micros(amount_micros)

    def quote(self, command: QuoteTopUp) -> TopUpQuote:
        """The fee a top-up of this amount would be booked with, and the number it funds."""
        view = require_account(self._accounts, command.account_id)
        currency = validation.currency(command.amount.currency_code, "amount.currency_code")
        if currency != view.currency:
            raise InvalidArgument("amount.currency_code", f"the account bills in {view.currency}")
        amount = command.amount.amount_micros
        validation.amount(amount, "amount.amount_micros", positive=True)
        if amount > MAX_TOP_UP_MICROS:
            raise InvalidArgument("amount.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
        phone = ""
        if view.balance_scope == SCOPE_CHANNEL:
            channel_id = validation.require_id(command.channel_id, "channel_id")
            with self._work() as work:
                phone = work.channels.display_phone(view.account_id, channel_id)
        elif command.channel_id:
            raise InvalidArgument("channel_id", "this account keeps its funds per account")
        return TopUpQuote(
            Money(currency, amount), Money(currency, self.fee_micros(view, amount)), phone
        )

    def top_up(self, command: TopUp) -> TopUpRecord:
        """Record the top-up and its ledger transaction in SQL, then apply it to Redis."""
        record = self.record(command)
        if record.state == RECORDED:
            with contextlib.suppress(HotStateBusy):  # applied by the sweeper afterwards
                record = self.apply(record)
        return record

    def record(self, command: TopUp) -> TopUpRecord:
        if command.source not in SOURCES:
            raise InvalidArgument("source", f"must be one of {', '.join(sorted(SOURCES))}")
        view = require_account(self._accounts, command.account_id)
        amount = command.amount.amount_micros
        currency = validation.currency(command.amount.currency_code, "amount.currency_code")
        validation.amount(amount, "amount.amount_micros", positive=True)
        if amount > MAX_TOP_UP_MICROS:
            raise InvalidArgument("amount.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        idempotency.check_key(command.idempotency_key)
        validation.text(command.payment_reference, "payment_reference", max_length=200)
        validation.text(command.transfer_reference, "transfer_reference", max_length=200)
        reference = command.payment_reference or command.transfer_reference
        if view.balance_scope == SCOPE_CHANNEL:
            validation.require_id(command.channel_id, "channel_id")
        elif command.channel_id:
            raise InvalidArgument("channel_id", "this account keeps its funds per account")
        fee_micros = self.fee_micros(view, amount)
        if command.fee is not None:
            # The fee the customer was charged with the payment, as quoted.
            if command.fee.currency_code not in ("", currency):
                raise InvalidArgument("fee.currency_code", f"must be {currency}")
            validation.amount(command.fee.amount_micros, "fee.amount_micros")
            if command.fee.amount_micros > MAX_TOP_UP_MICROS:
                raise InvalidArgument("fee.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
            fee_micros = command.fee.amount_micros
        record = TopUpRecord(
            top_up_id=uuid.uuid4().hex,
            account_id=view.account_id,
            channel_id=command.channel_id,
            currency_code=currency,
            amount_micros=amount,
            fee_micros=fee_micros,
            state=RECORDED,
            source=command.source,
            idempotency_key=command.idempotency_key,
            payment_reference=reference,
            created_ms=self._clock.now_ms(),
        )
        existing = self._find(view.account_id, command.idempotency_key)
        if existing is None:
            with contextlib.suppress(DuplicateKey):  # recorded concurrently: read it below
                self._write(record)
            existing = self._find(view.account_id, command.idempotency_key)
        if existing is None:
            raise Conflict(f"top-up {command.idempotency_key!r} could not be recorded")
        same = (
            existing.channel_id == command.channel_id
            and existing.currency_code == currency
            and existing.amount_micros == amount
            and existing.payment_reference == reference
            and existing.fee_micros == fee_micros
        )
        if not same:
            raise Conflict(
                f"idempotency key {command.idempotency_key!r} was used for a different top-up"
            )
        return existing

    def _write(self, record: TopUpRecord) -> None:
        """The top-up and its postings, the account locked, within the balance's bound."""
        with self._work() as work:
            work.lock_account(record.account_id)
            held = work.ledger.balance(
                ledger.money_account(record.account_id, record.currency_code, record.channel_id)
            )
            if held + record.amount_micros > validation.MAX_MICROS:
                raise InvalidArgument(
                    "amount.amount_micros",
                    f"would take the balance above {validation.MAX_MICROS:,} micros "
                    f"(it holds {held:,})",
                )
            work.top_ups.add(record)
            fact = ledger.Fact(
                ledger.TOP_UP,
                record.account_id,
                record.channel_id,
                record.currency_code,
                record.top_up_id,
                record.amount_micros,
                0,
                record.created_ms,
            )
            posted = [ledger.post(fact)]
            if record.fee_micros:
                posted.append(
                    ledger.top_up_fee(
                        record.account_id,
                        record.currency_code,
                        fact.reference,
                        record.fee_micros,
                        fact.at_ms,
                    )
                )
            work.ledger.write(posted)
            work.commit()

    def transfer_credited(self, account_id: str, transfer_reference: str) -> TopUpRecord | None:
        """The top-up that credited this bank transfer to the account, if any."""
        with self._work() as work:
            return work.top_ups.credited_transfer(account_id, transfer_reference)

    def apply(self, record: TopUpRecord) -> TopUpRecord:
        """Apply a recorded top-up to the hot balance (once), then mark it applied."""
        keys = self._partitioner.keys(record.account_id)
        self._hot.apply_top_up(
            keys,
            record.account_id,
            record.channel_id,
            record.currency_code,
            record.top_up_id,
            record.amount_micros,
        )
        with self._work() as work:
            applied = work.top_ups.mark_applied(record.top_up_id, self._clock.now_ms())
            work.commit()
        self._tell_listeners(record.account_id, record.channel_id, record.currency_code)
        return applied

    def reverse(self, command: ReverseTopUp) -> ReversalRecord:
        """Take refunded or disputed money back (see TopUpReversals.reverse)."""
        view = require_account(self._accounts, command.account_id)
        return self._reversals.reverse(view, command, self._find)

    def _tell_listeners(self, account_id: str, channel_id: str, currency: str) -> None:
        for listener in self.listeners:
            try:
                listener(account_id, channel_id, currency)
            except Exception:
                log.exception("balance listener failed", extra={"account_id": account_id})

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: re-apply top-ups and reversals recorded in SQL that did not reach Redis."""
        return self._apply_recorded_top_ups(older_than_s, limit) + self._reversals.apply_recorded(
            older_than_s, limit
        )

    def _apply_recorded_top_ups(self, older_than_s: float, limit: int) -> int:
        cutoff = self._clock.now_ms() - int(older_than_s * 1000)
        with self._work() as work:
            records = work.top_ups.recorded_before(cutoff, limit)
        for record in records:
            try:
                self.apply(record)
            except HotStateBusy:
                return 0  # the hot state is being rebuilt: later
        return len(records)

    def holdings(self, account_id: str, channel_id: str = "") -> list[Holding]:
        """Money per (channel, currency), then credit for messages unless one channel's."""
        view = require_account(self._accounts, account_id)
        validation.optional_id(channel_id, "channel_id")
        keys = self._partitioner.keys(view.account_id)
        held = self._hot.balances(keys, view.account_id)
        if not held and view.balance_scope != SCOPE_CHANNEL:
            held = {("", view.currency): (0, 0)}
        found = [
            Holding(MONEY, currency, channel, available, reserved, max(-available, 0))
            for (channel, currency), (available, reserved) in sorted(held.items())
            if not channel_id or channel == channel_id
        ]
        if channel_id:
            return found
        # Credits for messages: reserved counts unused credit on its way back to its grants.
        for currency, credit in sorted(self._hot.credit_balances(keys, view.account_id).items()):
            found.append(
                Holding(CREDIT, currency, "", credit.available, credit.held + credit.returning)
            )
        return found

    def list_top_ups(self, page: ListPage) -> Listed[TopUpRecord]:
        view = require_account(self._accounts, page.account_id)
        limit, offset = validation.page(page.page_size, page.page_token)
        with self._work() as work:
            records = work.top_ups.page(view.account_id, page.newest_first, limit, offset)
        return Listed(records, validation.next_page_token(offset, limit, len(records)))

    def list_entries(self, page: ListPage) -> Listed[LedgerEntry]:
        view = require_account(self._accounts, page.account_id)
        limit, offset = validation.page(page.page_size, page.page_token)
        with self._work() as work:
            entries = work.ledger.entries(view.account_id, page.newest_first, limit, offset)
        return Listed(entries, validation.next_page_token(offset, limit, len(entries)))

    def _find(self, account_id: str, key: str) -> TopUpRecord | None:
        with self._work() as work:
            return work.top_ups.find(account_id, key)
