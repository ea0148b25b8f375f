"""Credits (Interakt, Verloop): granted with an amount, an expiry, a priority and what they may
pay for; redeemed against invoices by priority then earliest expiry, once per key. Every grant,
redemption and expiry is a balanced ledger transaction; what is left is derived from them.

Credits that may pay for messages are spent by the send path: once recorded, a grant joins the
account's hot credit balance (AuthoriseSend draws on it before money), and its expiry is
written off by the projector in the order of the ledger stream. Invoices draw on the others."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from services.common import validation
from services.common.clock import Clock
from services.common.errors import InvalidArgument
from services.common.replies import once
from services.wallet.domain import ledger
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.commands.credits import (
    Credit,
    CreditListing,
    CreditRecord,
    GrantCredit,
    RedeemCredits,
    Redeemed,
    Redemption,
)
from services.wallet.service.commands.money import ListPage, Money
from services.wallet.service.funds import MAX_TOP_UP_MICROS
from services.wallet.service.ports.money import HotMoney, MoneyWork

NOTIFICATIONS_INVOICE = "notifications_invoice"
MESSAGES = "messages"
APPLIES_TO = frozenset({NOTIFICATIONS_INVOICE, MESSAGES})
MAX_PRIORITY = 1_000_000
MAX_CREDITS_PER_REDEMPTION = 1_000  # credits one redemption may draw on, best first


class Credits:
    def __init__(
        self,
        work: Callable[[], MoneyWork],
        accounts: Accounts,
        hot: HotMoney,
        partitioner: Partitioner,
        clock: Clock,
    ) -> None:
        self._work = work
        self._accounts = accounts
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock

    def grant(self, command: GrantCredit) -> Credit:
        view = require_account(self._accounts, command.account_id)
        _money(view, command.amount, "amount", positive=True)
        if command.expire_ms is None:
            raise InvalidArgument("expire_time", "is required")
        if not 0 <= command.priority <= MAX_PRIORITY:
            raise InvalidArgument("priority", f"must be 0 to {MAX_PRIORITY}")
        applies_to = _applies_to(command.applies_to)
        validation.text(command.reason, "reason", max_length=200)
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        expire_ms = command.expire_ms

        def insert() -> Credit:
            now_ms = self._clock.now_ms()
            if expire_ms <= now_ms:
                raise InvalidArgument("expire_time", "must be in the future")
            granted = command.amount.amount_micros
            record = CreditRecord(
                credit_id=uuid.uuid4().hex,
                account_id=view.account_id,
                currency_code=view.currency,
                granted_micros=granted,
                expire_ms=expire_ms,
                priority=command.priority,
                applies_to=",".join(applies_to),
                reason=command.reason,
                idempotency_key=command.idempotency_key,
                created_ms=now_ms,
            )
            work.credits.add(record)
            work.ledger.write(
                [
                    ledger.grant_credit(
                        view.account_id, view.currency, record.credit_id, granted, now_ms
                    )
                ]
            )
            return Credit(record, granted)

        with self._work() as work:
            work.lock_account(view.account_id)
            credit = once(
                work.granted,
                f"GrantCredit:{view.account_id}",
                command.idempotency_key,
                command.request_sha256,
                insert,
            )
            work.commit()
        record = credit.record
        if MESSAGES in record.uses:
            self._apply(
                record.account_id,
                record.currency_code,
                record.credit_id,
                record.granted_micros,
                record.expire_ms,
            )
        return credit

    def _apply(
        self, account_id: str, currency: str, credit_id: str, amount: int, expire_ms: int
    ) -> bool:
        """Into the hot credit balance, once (a grant that already expired stays out)."""
        keys = self._partitioner.keys(account_id)
        state = self._hot.apply_credit(
            keys, account_id, currency, credit_id, amount, expire_ms, self._clock.now_ms()
        )
        return state == "new"

    def apply_recorded(self, older_than_s: float, limit: int) -> int:
        """The sweeper: grants for messages recorded in SQL that did not reach Redis."""
        now_ms = self._clock.now_ms()
        with self._work() as work:
            records = work.credits.unapplied(now_ms, now_ms - int(older_than_s * 1000), limit)
        applied = 0
        for record in records:
            if MESSAGES in record.uses:
                applied += self._apply(
                    record.account_id,
                    record.currency_code,
                    record.credit_id,
                    record.granted_micros,
                    record.expire_ms,
                )
        return applied

    def list(self, page: ListPage) -> CreditListing:
        view = require_account(self._accounts, page.account_id)
        limit, offset = validation.page(page.page_size, page.page_token)
        self.write_off_expired(view.account_id)
        with self._work() as work:
            records = work.credits.page(view.account_id, limit, offset)
            left = work.credits.remaining(view.account_id, records)
            redemptions = work.credits.redemptions(
                view.account_id, [record.credit_id for record in records]
            )
        return CreditListing(
            [Credit(record, left[record.credit_id]) for record in records],
            redemptions,
            validation.next_page_token(offset, limit, len(records)),
        )

    def redeem(self, command: RedeemCredits) -> Redeemed:
        """Spend what applies, best first, up to max_amount; a retry returns the first answer."""
        view = require_account(self._accounts, command.account_id)
        validation.require_id(command.invoice_id, "invoice_id")
        if command.applies_to not in APPLIES_TO:
            raise InvalidArgument("applies_to", f"must be one of {', '.join(sorted(APPLIES_TO))}")
        if command.applies_to == MESSAGES:
            raise InvalidArgument("applies_to", "credits for messages are spent by AuthoriseSend")
        _money(view, command.max_amount, "max_amount")
        validation.text(command.idempotency_key, "idempotency_key", required=True)

        def spend() -> Redeemed:
            now_ms = self._clock.now_ms()
            usable = [
                record
                for record in work.credits.usable(
                    view.account_id, command.applies_to, now_ms, MAX_CREDITS_PER_REDEMPTION
                )
                if command.applies_to in record.uses and MESSAGES not in record.applies_to
            ]
            left = work.credits.remaining(view.account_id, usable)
            wanted = command.max_amount.amount_micros
            redemptions = []
            posted = []
            for record in usable:
                amount = min(wanted, left[record.credit_id])
                if amount <= 0:
                    continue
                redemption_id = uuid.uuid4().hex
                redemption = Redemption(
                    record.credit_id, command.invoice_id, view.currency, amount, now_ms
                )
                work.credits.add_redemption(
                    redemption_id, redemption, view.account_id, command.idempotency_key
                )
                posted.append(
                    ledger.redeem_credit(
                        view.account_id,
                        view.currency,
                        record.credit_id,
                        redemption_id,
                        command.invoice_id,
                        amount,
                        now_ms,
                    )
                )
                redemptions.append(redemption)
                wanted -= amount
                if wanted == 0:
                    break
            work.ledger.write(posted)
            redeemed = command.max_amount.amount_micros - wanted
            return Redeemed(redemptions, Money(view.currency, redeemed))

        with self._work() as work:
            work.lock_account(view.account_id)
            answer = once(
                work.redeemed,
                f"RedeemCredits:{view.account_id}",
                command.idempotency_key,
                command.request_sha256,
                spend,
            )
            work.commit()
        return answer

    def write_off_expired(self, account_id: str = "", limit: int = 500) -> int:
        """What is left of expired credits goes back to the grants account (once per credit).

        A grant in the hot credit balance is written off by the projector instead, after every
        hold before its expiry entry: here it is only asked to. Returns the credits moved on.
        """
        now_ms = self._clock.now_ms()
        with self._work() as work:
            records = work.credits.expired(account_id, now_ms, limit)
        moved = 0
        for record in records:
            if MESSAGES in record.uses:
                keys = self._partitioner.keys(record.account_id)
                state = self._hot.start_credit_expiry(
                    keys, record.account_id, record.currency_code, record.credit_id, now_ms
                )
                if state != "expired":  # the projector writes it off
                    moved += state == "new"
                    continue
            moved += 1
            with self._work() as work:
                work.lock_account(record.account_id)
                left = work.credits.remaining(record.account_id, [record])[record.credit_id]
                if left > 0:
                    expiry = ledger.expire_credit(
                        record.account_id, record.currency_code, record.credit_id, left, now_ms
                    )
                    work.ledger.write([expiry])
                work.credits.mark_written_off(record.credit_id, now_ms)
                work.commit()
        return moved


def _applies_to(given: Sequence[str]) -> list[str]:
    if not given:
        raise InvalidArgument("applies_to", "name what the credit may pay for")
    for index, name in enumerate(given):
        if name not in APPLIES_TO:
            raise InvalidArgument(
                f"applies_to[{index}]", f"must be one of {', '.join(sorted(APPLIES_TO))}"
            )
        if name in given[:index]:
            raise InvalidArgument(f"applies_to[{index}]", f"{name!r} appears twice")
    return sorted(given)


def _money(view: AccountView, money: Money, field: str, positive: bool = False) -> None:
    validation.currency(money.currency_code, f"{field}.currency_code")
    if money.currency_code != view.currency:
        raise InvalidArgument(f"{field}.currency_code", f"the account bills in {view.currency}")
    validation.amount(money.amount_micros, f"{field}.amount_micros", positive=positive)
    if money.amount_micros > MAX_TOP_UP_MICROS:
        raise InvalidArgument(f"{field}.amount_micros", f"at most {MAX_TOP_UP_MICROS}")
