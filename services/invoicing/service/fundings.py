"""Funding a wallet balance by card (360dialog's add funds, and auto-recharges).

A quote first: the amount, the fee (the wallet's rule for the account, or its default,
rounded half up to the currency's minor unit so that the card can be charged exactly), the
total, the phone number. Confirming it writes a funding and its pending payment, charges the
card (CardCharges: the provider's payment id is stored before confirming), and moves the
funding forward one step at a time, each idempotent and each guarded by the state it leaves:

    charging -> paid -> credited -> completed        (or charging -> declined)
    charging -> requires_action -> paid ...          (3-D Secure, settled by a provider event)
    requires_action -> expired                       (never authenticated: cancelled, nothing paid)

`paid` credits the wallet through its TopUp (key "funding:<id>", the fee as charged),
`credited` issues the receipt invoice with the fee line. A process that dies at any point
leaves a state from which `advance` (a retry with the same key, the provider's event, or the
scheduler's pass) finishes exactly once. A decline leaves the balance untouched.

An auto-recharge's funding tells the wallet each outcome (recharge_events), in the transaction
that records it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common.clock import Clock, moment
from services.common.errors import (
    BillingError,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from services.invoicing.adapters import invoice_events, payment_rows, tables
from services.invoicing.adapters.recharge_outbox import SqlRechargeAnswers
from services.invoicing.domain import money
from services.invoicing.service import (
    card_charges,
    ids,
    recharge_events,
)
from services.invoicing.service.card_charges import (
    ADD_FUNDS,
    AUTO_RECHARGE,
    EXPIRED_REASON,
    CardCharges,
)
from services.invoicing.service.commands.payments import AddFunds, FundingView
from services.invoicing.service.ports import PaymentState, PaymentStatus, Wallet
from services.invoicing.service.ports.payments import PaymentWorks
from services.invoicing.service.receipts import Receipts
from services.invoicing.service.service_acts import ServiceActs

log = logging.getLogger(__name__)
STUCK_BATCH = 100
CHARGING, REQUIRES_ACTION, PAID = "charging", "requires_action", "paid"
CREDITED, COMPLETED, DECLINED = "credited", "completed", "declined"
EXPIRED = "expired"
# Added funds' outcomes on billing.invoicing.events (a recharge's are the wallet's to tell).
FUNDING_EVENTS = {
    COMPLETED: "top_up.succeeded",
    DECLINED: "top_up.failed",
    EXPIRED: "top_up.failed",
}
OPEN_STATES = (CHARGING, REQUIRES_ACTION, PAID, CREDITED)
STATES = (*OPEN_STATES, COMPLETED, DECLINED, EXPIRED)
CARD_REMOVED = "the card was removed before it was charged"
# Moves recorded in the audit log when no person made them, by the name of the action's end.
AUDITED_MOVES = {
    REQUIRES_ACTION: "RequiresAction",
    CREDITED: "Credited",
    DECLINED: "Declined",
    EXPIRED: "Expired",
}
# How long a payment may wait for the customer's authentication before it is cancelled.
DEFAULT_ACTION_EXPIRY = dt.timedelta(hours=24)

Row = Mapping[Any, Any]


class Fundings:
    def __init__(
        self,
        engine: Engine,
        work: PaymentWorks,
        cards: CardCharges,
        wallet: Wallet,
        receipts: Receipts,
        clock: Clock,
        stuck_after: dt.timedelta,
        action_expiry: dt.timedelta = DEFAULT_ACTION_EXPIRY,
        acts: ServiceActs | None = None,
    ) -> None:
        self._acts = acts or ServiceActs(None)
        self._action_expiry = action_expiry
        self._engine = engine
        self._work = work
        self._cards = cards
        self._wallet = wallet
        self._receipts = receipts
        self._clock = clock
        self._stuck_after = stuck_after

    def add(self, command: AddFunds) -> FundingView:
        account_id, key = command.account_id, command.idempotency_key
        funding_id = ids.derived_id("fund", f"{account_id}/{key}")
        with self._engine.begin() as connection:
            found = funding_row(connection, account_id, funding_id)
            if found is None:
                found = self._open(connection, command, funding_id, key)
            elif found["quote_id"] != command.quote_id:
                raise Conflict(f"idempotency key {key!r} was used for another quote")
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
                    outcome = self._charge(funding)
                    secret = outcome.action_secret
                    self._after_payment(funding, outcome)
                elif state == PAID:
                    self._credit(funding)
                elif state == CREDITED:
                    self._receipt(funding)
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
        self._after_payment(funding, outcome)
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
                moved += self._move(
                    funding, (REQUIRES_ACTION,), EXPIRED, failure_reason=EXPIRED_REASON
                )
            elif outcome.status == PaymentStatus.SUCCEEDED:
                self._after_payment(funding, outcome)
                moved += self.advance(self._reread(funding))[0]["state"] != REQUIRES_ACTION
        return moved

    def _reread(self, funding: Row) -> Row:
        with self._work() as work:
            return work.fundings.get(funding["account_id"], funding["funding_id"]) or funding

    def funding_of_payment(self, payment_id: str) -> Row | None:
        with self._work() as work:
            return work.fundings.by_payment(payment_id)

    def _open(self, connection: Connection, command: AddFunds, funding_id: str, key: str) -> Row:
        quotes = tables.fund_quotes
        quote = connection.execute(
            sa.select(quotes).where(
                quotes.c.quote_id == command.quote_id, quotes.c.account_id == command.account_id
            )
        ).first()
        if quote is None:
            raise NotFound(f"quote {command.quote_id!r} not found", "quote_id")
        expire_at = (
            quote.expire_at if quote.expire_at.tzinfo else quote.expire_at.replace(tzinfo=dt.UTC)
        )
        if expire_at <= moment(self._clock):
            raise FailedPrecondition("the quote has expired; ask for a new one", "quote_id")
        card = _card(connection, command.account_id, command.payment_method_id)
        total = quote.amount_micros + quote.fee_micros
        card_charges.minor_units(total, quote.currency_code, "quote_id")
        now = moment(self._clock)
        payment_id = ids.derived_id("pay", funding_id)
        values = {
            "funding_id": funding_id,
            "account_id": command.account_id,
            "idempotency_key": key,
            "source": ADD_FUNDS,
            "quote_id": quote.quote_id,
            "channel_id": quote.channel_id,
            "currency_code": quote.currency_code,
            "amount_micros": quote.amount_micros,
            "fee_micros": quote.fee_micros,
            "payment_id": payment_id,
            "state": CHARGING,
            "failure_reason": "",
            "top_up_id": None,
            "receipt_invoice_id": None,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with connection.begin_nested():
                connection.execute(tables.fundings.insert().values(**values))
        except IntegrityError:
            # A retry under the same key that raced the first request: the first one's funding.
            earlier = funding_row(connection, command.account_id, funding_id)
            if earlier is not None and earlier["quote_id"] == quote.quote_id:
                return earlier
            raise FailedPrecondition(
                "this quote was confirmed already; ask for a new one", "quote_id"
            ) from None
        payment_rows.add_payment(
            connection,
            self._cards.pending(
                payment_id=payment_id,
                account_id=command.account_id,
                purpose=ADD_FUNDS,
                payment_method_id=card["payment_method_id"],
                currency_code=quote.currency_code,
                amount_micros=total,
            ),
        )
        return values

    def _charge(self, funding: Row) -> PaymentState:
        with self._work() as work:
            payment = work.payments.get(funding["payment_id"])
            if payment is None:
                raise NotFound("the funding's payment is gone", "funding_id")
            card = work.cards.find(funding["account_id"], payment["payment_method_id"])
        amount = money.format_amount(funding["amount_micros"], funding["currency_code"])
        what = "Auto-recharge" if funding["source"] == AUTO_RECHARGE else "Balance top-up"
        description = f"{what} {amount}"
        if payment["status"] == card_charges.PENDING and not payment["provider_payment_id"]:
            if card is None:  # removed before anything reached the provider: nothing to charge
                declined = PaymentState(PaymentStatus.DECLINED, "", CARD_REMOVED)
                self._cards.record(payment["payment_id"], declined)
                return declined
            return self._cards.run(payment, card.provider_token, description)
        if payment["status"] == card_charges.SUCCEEDED:
            return PaymentState(PaymentStatus.SUCCEEDED, payment["reference"])
        if payment["status"] == card_charges.FAILED:
            return PaymentState(
                PaymentStatus.DECLINED, payment["reference"], payment["failure_reason"]
            )
        # Created at the provider already: read back by its id (the card's token is not needed).
        token = card.provider_token if card is not None else ""
        return self._cards.refresh(payment, token, description)

    def _after_payment(self, funding: Row, outcome: PaymentState) -> None:
        if outcome.status == PaymentStatus.SUCCEEDED:
            self._move(funding, (CHARGING, REQUIRES_ACTION), PAID)
        elif outcome.status == PaymentStatus.DECLINED:
            reason = outcome.reason or "declined"
            self._move(funding, (CHARGING, REQUIRES_ACTION), DECLINED, failure_reason=reason)
        elif outcome.status == PaymentStatus.REQUIRES_ACTION:
            self._move(funding, (CHARGING,), REQUIRES_ACTION, failure_reason=outcome.reason)

    def _credit(self, funding: Row) -> None:
        with self._work() as work:
            payment = work.payments.get(funding["payment_id"])
        top_up_id = self._wallet.top_up(
            funding["account_id"],
            funding["channel_id"],
            funding["currency_code"],
            funding["amount_micros"],
            funding["fee_micros"],
            payment["reference"] if payment is not None else "",
            top_up_key(funding),
            funding["source"],
        )
        self._move(funding, (PAID,), CREDITED, top_up_id=top_up_id, failure_reason="")

    def _receipt(self, funding: Row) -> None:
        currency = funding["currency_code"]
        # The receipt is for the funding (its id is ours: base32, never mistaken for a card).
        receipt = self._receipts.create(
            pb.CreateTopUpReceiptRequest(
                account_id=funding["account_id"],
                top_up_id=funding["funding_id"],
                amount=money_pb2.Money(
                    currency_code=currency, amount_micros=funding["amount_micros"]
                ),
                fee=money_pb2.Money(currency_code=currency, amount_micros=funding["fee_micros"]),
            )
        ).invoice
        with self._work() as work:
            work.payments.update(funding["payment_id"], {"invoice_id": receipt.invoice_id})
            work.commit()
        self._move(funding, (CREDITED,), COMPLETED, receipt_invoice_id=receipt.invoice_id)

    def _move(self, funding: Row, before: tuple[str, ...], after: str, **values: Any) -> bool:
        table = tables.fundings
        with self._engine.begin() as connection:
            moved = connection.execute(
                table.update()
                .where(table.c.funding_id == funding["funding_id"], table.c.state.in_(before))
                .values(state=after, updated_at=moment(self._clock), **values)
            ).rowcount
            if moved and funding["source"] == AUTO_RECHARGE:
                recharge_events.after_move(
                    SqlRechargeAnswers(connection),
                    payment_rows.SqlCardPayments(connection),
                    funding,
                    after,
                    values,
                    self._clock.now_ms(),
                )
            elif moved and after in FUNDING_EVENTS:
                invoice_events.funding(connection, funding["funding_id"], FUNDING_EVENTS[after])
            if moved and after in AUDITED_MOVES:
                self._audit_move(connection, funding, after, values)
        return bool(moved)

    def _audit_move(
        self, connection: Connection, funding: Row, after: str, values: Mapping[str, Any]
    ) -> None:
        """A move nobody asked for in person (the provider's word, the wallet's recharge
        request, the scheduler), in the move's own transaction."""
        moved = {**funding, **values}
        auto = funding["source"] == AUTO_RECHARGE
        failure = str(moved.get("failure_reason") or "")
        why = failure or ("the balance fell below its threshold" if auto else "")
        self._acts.record(
            f"{'AutoRecharge' if auto else 'AddFunds'}{AUDITED_MOVES[after]}",
            funding["account_id"],
            funding["funding_id"],
            f"{funding['funding_id']}:{after}",
            reason=why,
            before={"state": funding["state"]},
            after={
                "state": after,
                "currency_code": moved["currency_code"],
                "amount_micros": moved["amount_micros"],
                "fee_micros": moved["fee_micros"],
                "channel_id": moved["channel_id"],
                "payment_id": moved["payment_id"],
                "top_up_id": moved.get("top_up_id") or "",
                "failure_reason": failure,
            },
            connection=connection,
        )


def top_up_key(funding: Row) -> str:
    """The wallet top-up's idempotency key: a refund finds the top-up again by it."""
    if funding["source"] == ADD_FUNDS:
        return f"funding:{funding['funding_id']}"
    return str(funding["idempotency_key"])


def funding_row(connection: Connection, account_id: str, funding_id: str) -> Row | None:
    table = tables.fundings
    row = connection.execute(
        sa.select(table).where(table.c.funding_id == funding_id, table.c.account_id == account_id)
    ).first()
    return None if row is None else row._mapping


def _card(connection: Connection, account_id: str, method_id: str) -> Row:
    if method_id:
        card = payment_rows.card(connection, account_id, method_id)
        if card is None:
            raise NotFound(f"card {method_id!r} not found", "payment_method_id")
        return card
    card = payment_rows.default_card(connection, account_id)
    if card is None:
        raise FailedPrecondition("no default card on file", "payment_method_id")
    return card


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
