"""A paid notifications invoice settles the wallet: a postpaid balance accrues the cycle's
charges below zero, and once the invoice that bills them is paid (card, transfer, credits, or
cleared by a credit note) the wallet is credited with its charge lines (kind "notifications":
not the tax, not the fees) by TopUp, source "invoice_payment", key `invoice:<id>:settle`, so
the balance comes back up. A refund or a dispute of the invoice's payment takes the refunded
share of those charges back out (ReverseTopUp: the balance owes them again); paid again, the
invoice credits what was taken back, under a new key.

Every movement is written first (invoicing_wallet_settlements: its key, its amount), then
asked of the wallet with that key, then marked done: a crash anywhere leaves a movement that
is asked again with the same key and applied once. The `wallet-settlement` loop settles paid
invoices nobody settled yet (credits, credit notes, a wallet that was unreachable).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import BillingError
from services.invoicing.domain import wallet_settlement as settlement
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service.ports import Wallet
from services.invoicing.service.ports.postpaid import (
    AlreadyPlanned,
    PostpaidInvoice,
    SettlementWorks,
)

log = logging.getLogger(__name__)
PENDING_BATCH = 100
Row = Mapping[Any, Any]


class PostpaidSettlement:
    def __init__(self, work: SettlementWorks, wallet: Wallet, clock: Clock) -> None:
        self._work = work
        self._wallet = wallet
        self._clock = clock

    def settle(self, account_id: str, invoice_id: str) -> bool:
        """Credit the wallet with what a paid notifications invoice still owes it; True once
        nothing is owed. Idempotent: asked again, it credits nothing more."""
        with self._work() as work:
            invoice = work.settlements.invoice(account_id, invoice_id)
        if invoice is None or invoice.kind != Kind.NOTIFICATIONS:
            return True
        if invoice.wallet_settled:
            return True
        if invoice.status != Status.PAID:
            return False
        try:
            with self._work() as work:
                history = work.settlements.history(invoice_id)
                owed = work.settlements.charges_micros(invoice_id) - settlement.net_micros(history)
                if owed > 0:
                    credits = settlement.credits_in(history)
                    work.settlements.plan(invoice, settlement.credit(invoice_id, credits, owed))
                work.commit()
        except AlreadyPlanned:
            log.info("settlement planned concurrently", extra={"invoice_id": invoice_id})
        self._apply(invoice)
        with self._work() as work:
            work.settlements.settled(invoice_id, moment(self._clock))
            work.commit()
        return True

    def settle_pending(self, limit: int = PENDING_BATCH) -> int:
        """The loop's pass: paid notifications invoices whose charges the wallet has not got
        back yet. Returns those settled."""
        with self._work() as work:
            awaiting = work.settlements.awaiting_settlement(limit)
        settled = 0
        for account_id, invoice_id in awaiting:
            try:
                settled += self.settle(account_id, invoice_id)
            except BillingError as error:
                log.warning(
                    "postpaid invoice not settled yet",
                    extra={"invoice_id": invoice_id, "error": str(error)},
                )
        return settled

    def take_back(
        self, payment: Row, before_micros: int, after_micros: int, reason: str, cause: str
    ) -> None:
        """A refund or dispute moved the payment's reversed total from `before` to `after`:
        take the same share of the invoice's charges back out of the wallet (rounded half up
        on the running totals, so that reversing the whole payment takes back its whole share).
        Idempotent by `cause` (the refund or dispute)."""
        invoice_id = payment["invoice_id"]
        with self._work() as work:
            invoice = work.settlements.invoice(payment["account_id"], invoice_id)
        if invoice is None or invoice.kind != Kind.NOTIFICATIONS or not invoice.total_micros:
            return
        with self._work() as work:
            given = settlement.net_micros(work.settlements.history(invoice_id))
            if given <= 0 and not work.settlements.planned(cause):
                return  # nothing was given back for it (an invoice from before settlement)
        self._apply(invoice)  # a credit not applied yet cannot be reversed
        with self._work() as work:
            if not work.settlements.planned(cause):
                charges = work.settlements.charges_micros(invoice_id)
                share = settlement.share_taken_back(
                    charges, before_micros, after_micros, invoice.total_micros
                )
                history = work.settlements.history(invoice_id)
                for movement in settlement.take_backs(history, share, cause):
                    work.settlements.plan(invoice, movement)
            work.commit()
        self._apply(invoice)
        with self._work() as work:
            work.settlements.owed_again(invoice_id)
            work.commit()

    def _apply(self, invoice: PostpaidInvoice) -> None:
        """Ask the wallet for every movement of the invoice not done yet, credits first."""
        with self._work() as work:
            pending = work.settlements.pending(invoice.invoice_id)
        if not pending:
            return
        channel_id = ""
        for movement in sorted(pending, key=lambda m: m.kind != settlement.CREDIT):
            if movement.kind == settlement.CREDIT:
                if not channel_id:
                    channel_id = self._channel(invoice)
                self._wallet.top_up(
                    invoice.account_id,
                    channel_id,
                    invoice.currency_code,
                    movement.amount_micros,
                    0,
                    invoice.number or invoice.invoice_id,
                    movement.movement_key,
                    settlement.SOURCE,
                )
            else:
                self._wallet.reverse_top_up(
                    invoice.account_id,
                    movement.top_up_key,
                    movement.amount_micros,
                    0,
                    settlement.reversal_reason(movement.cause),
                    movement.movement_key,
                )
            with self._work() as work:
                work.settlements.done(movement.movement_key, moment(self._clock))
                work.commit()

    def _channel(self, invoice: PostpaidInvoice) -> str:
        """The balance the charges accrued on: the subscription's phone number where the
        account keeps its money per number, else the account's."""
        if not self._wallet.account_terms(invoice.account_id).funds_per_channel:
            return ""
        with self._work() as work:
            return work.settlements.channel_of(invoice.subscription_id)
