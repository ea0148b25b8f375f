"""Funding a wallet balance by card (360dialog's add funds, and auto-recharges).

A quote first: the amount, the fee (the wallet's rule for the account, or its default,
rounded half up to the currency's minor unit so that the card can be charged exactly), the
total, the phone number. Confirming it writes a funding and its pending payment
(funding_opening), charges the card (CardCharges: the provider's payment id is stored before
confirming), and moves the funding forward one step at a time (funding_steps), each
idempotent and each guarded by the state it leaves (domain/funding_states.py).

`paid` credits the wallet through its TopUp (key "funding:<id>", the fee as charged),
`credited` issues the receipt invoice with the fee line. A process that dies at any point
leaves a state from which `advance` (a retry with the same key, the provider's event, or the
scheduler's pass) finishes exactly once. A decline leaves the balance untouched.

An auto-recharge's funding tells the wallet each outcome (recharge_events), in the transaction
that records it (funding_moves).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import (
    BillingError,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from services.invoicing.domain.funding_states import (
    CHARGING,
    CREDITED,
    EXPIRED,
    OPEN_STATES,
    PAID,
    REQUIRES_ACTION,
    STATES,
)
from services.invoicing.service import ids
from services.invoicing.service.card_charges import EXPIRED_REASON, CardCharges
from services.invoicing.service.commands.payments import AddFunds, FundingView
from services.invoicing.service.funding_moves import FundingMover
from services.invoicing.service.funding_opening import open_funding
from services.invoicing.service.funding_steps import FundingSteps
from services.invoicing.service.ports import PaymentState, PaymentStatus, Wallet
from services.invoicing.service.ports.fundings import FundingReceipts, FundingWorks
from services.invoicing.service.ports.payments import AlreadyKept

log = logging.getLogger(__name__)
STUCK_BATCH = 100
# How long a payment may wait for the customer's authentication before it is cancelled.
DEFAULT_ACTION_EXPIRY = dt.timedelta(hours=24)

Row = Mapping[Any, Any]


class Fundings:
    def __init__(
        self,
        work: FundingWorks,
        cards: CardCharges,
        wallet: Wallet,
        receipts: FundingReceipts,
        clock: Clock,
        stuck_after: dt.timedelta,
        action_expiry: dt.timedelta = DEFAULT_ACTION_EXPIRY,
    ) -> None:
        self._work = work
        self._cards = cards
        self._clock = clock
        self._stuck_after = stuck_after
        self._action_expiry = action_expiry
        self._mover = FundingMover(work, clock)
        self._steps = FundingSteps(work, cards, wallet, receipts, self._mover)

    def add(self, command: AddFunds) -> FundingView:
        account_id, key = command.account_id, command.idempotency_key
        funding_id = ids.derived_id("fund", f"{account_id}/{key}")
        found: Row | None
        try:
            with self._work() as work:
                found = work.fundings.get(account_id, funding_id)
                if found is None:
                    found = open_funding(work, command, funding_id, self._cards, self._clock)
                elif found["quote_id"] != command.quote_id:
                    raise Conflict(f"idempotency key {key!r} was used for another quote")
                work.commit()
        except AlreadyKept:
            # A retry under the same key that raced the first request: the first one's funding.
            with self._work() as work:
                found = work.fundings.get(account_id, funding_id)
            if found is None or found["quote_id"] != command.quote_id:
                raise FailedPrecondition(
                    "this quote was confirmed already; ask for a new one", "quote_id"
                ) from None
        row, secret = self.advance(found)
        return funding_view(row, secret)

    def get(self, account_id: str, funding_id: str) -> FundingView:
        with self._work() as work:
            row = work.fundings.get(account_id, funding_id)
        if row is None:
            raise NotFound(f"funding {funding_id!r} not found", "funding_id")
        return funding_view(row)

    def list(self, account_id: str, limit: int, offset: int) -> list[FundingView]:
        """A page of the account's fundings, newest first."""
        with self._work() as work:
            rows = work.fundings.page(account_id, limit, offset)
        return [funding_view(row) for row in rows]

    def advance(self, funding: Row) -> tuple[Row, str]:
        """Move a funding as far as it can go now; returns it, and an authentication secret."""
        secret = ""
        for _ in range(len(STATES)):
            state = funding["state"]
            try:
                if state in (CHARGING, REQUIRES_ACTION):
                    outcome = self._steps.charge(funding)
                    secret = outcome.action_secret
                    self._mover.after_payment(funding, outcome)
                elif state == PAID:
                    self._steps.credit(funding)
                elif state == CREDITED:
                    self._steps.receipt(funding)
                else:
                    break
            except BillingError as error:
                if isinstance(error, InvalidArgument):
                    raise
                log.warning(
                    "funding not finished yet",
                    extra={"funding_id": funding["funding_id"], "error": str(error)},
                )
                break
            with self._work() as work:
                now = work.fundings.get(funding["account_id"], funding["funding_id"])
            if now is None or now["state"] == state:
                funding = now or funding
                break
            funding = now
        return funding, secret

    def on_payment(self, payment: Row, outcome: PaymentState) -> None:
        """The provider decided a funding's payment later (a webhook event)."""
        with self._work() as work:
            funding = work.fundings.by_payment(payment["payment_id"])
        if funding is None:
            return
        self._cards.record(payment["payment_id"], outcome)
        self._mover.after_payment(funding, outcome)
        with self._work() as work:
            funding = work.fundings.by_payment(payment["payment_id"])
        if funding is not None:
            self.advance(funding)

    def resume_stuck(self) -> int:
        """The scheduler's pass: finish fundings a crash or an outage left half way."""
        cutoff = moment(self._clock) - self._stuck_after
        with self._work() as work:
            rows = work.fundings.in_states_before(OPEN_STATES, cutoff, STUCK_BATCH)
        moved = 0
        for row in rows:
            after, _ = self.advance(row)
            moved += after["state"] != row["state"]
        return moved

    def expire_unauthenticated(self) -> int:
        """The scheduler's pass: a payment the customer never authenticated is cancelled at
        the provider once it waited longer than the bound; the funding expires, the balance
        untouched (one authenticated meanwhile is paid and credited instead)."""
        cutoff = moment(self._clock) - self._action_expiry
        with self._work() as work:
            rows = work.fundings.in_state_before(REQUIRES_ACTION, cutoff, STUCK_BATCH)
        moved = 0
        for funding in rows:
            with self._work() as work:
                payment = work.payments.get(funding["payment_id"])
            if payment is None:
                continue
            try:
                outcome = self._cards.cancel_unauthenticated(payment, EXPIRED_REASON)
            except BillingError as error:
                log.warning(
                    "unauthenticated payment not cancelled yet",
                    extra={"funding_id": funding["funding_id"], "error": str(error)},
                )
                continue
            if outcome.status == PaymentStatus.DECLINED:
                moved += self._mover.move(
                    funding, (REQUIRES_ACTION,), EXPIRED, failure_reason=EXPIRED_REASON
                )
            elif outcome.status == PaymentStatus.SUCCEEDED:
                self._mover.after_payment(funding, outcome)
                moved += self.advance(self._reread(funding))[0]["state"] != REQUIRES_ACTION
        return moved

    def _reread(self, funding: Row) -> Row:
        with self._work() as work:
            return work.fundings.get(funding["account_id"], funding["funding_id"]) or funding

    def funding_of_payment(self, payment_id: str) -> Row | None:
        with self._work() as work:
            return work.fundings.by_payment(payment_id)


def funding_view(row: Row, action_secret: str = "") -> FundingView:
    return FundingView(
        funding_id=row["funding_id"],
        account_id=row["account_id"],
        source=row["source"],
        channel_id=row["channel_id"],
        currency_code=row["currency_code"],
        amount_micros=row["amount_micros"],
        fee_micros=row["fee_micros"],
        state=row["state"],
        failure_reason=row["failure_reason"],
        payment_id=row["payment_id"],
        top_up_id=row["top_up_id"] or "",
        receipt_invoice_id=row["receipt_invoice_id"] or "",
        quote_id=row["quote_id"] or "",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        action_secret=action_secret if row["state"] == REQUIRES_ACTION else "",
    )
