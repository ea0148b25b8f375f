"""Paying invoices: the card on file through the payment port, or a bank transfer.

A card payment is claimed on the invoice (one in flight at a time), charged outside any
transaction through CardCharges (the provider's payment id stored before it is confirmed),
then settled. A decline leaves the invoice open with the reason; a retry with the same
idempotency_key answers the first result, a new key tries again. A payment the customer must
authenticate (3-D Secure) stays in flight until the provider's event settles it. Partner days
are credited to the wallet once paid.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.clock import Clock, moment
from services.common.errors import BillingError, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import invoice_store, payment_rows, tables
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service import card_charges, guards, ids, messages
from services.invoicing.service.card_charges import (
    EXPIRED_REASON,
    FAILED,
    INVOICE,
    PENDING,
    SUCCEEDED,
    CardCharges,
)
from services.invoicing.service.invoices import load
from services.invoicing.service.ports import PaymentState, PaymentStatus, Wallet
from services.invoicing.service.postpaid import PostpaidSettlement
from services.invoicing.service.service_acts import ServiceActs

log = logging.getLogger(__name__)
SCOPE = "PayInvoice"
DAYS_BATCH = 100
STUCK_PAYMENTS_BATCH = 100
# A card payment pending this long is taken for abandoned and finished by the scheduler.
DEFAULT_STUCK_AFTER = dt.timedelta(minutes=10)
# Issued by the billing cycle and charged to the default card at once.
AUTO_CHARGE_KINDS = (Kind.SUBSCRIPTION, Kind.NOTIFICATIONS, Kind.PARTNER_DAYS)


@dataclass(frozen=True)
class Claim:
    """A card payment claimed on an invoice, ready to charge."""

    payment: dict[str, Any]
    provider_token: str
    invoice_number: str

    @property
    def description(self) -> str:
        return f"Invoice {self.invoice_number}"


class Payments:
    def __init__(
        self,
        engine: Engine,
        cards: CardCharges,
        wallet: Wallet,
        clock: Clock,
        stuck_after: dt.timedelta = DEFAULT_STUCK_AFTER,
        settlement: PostpaidSettlement | None = None,
        acts: ServiceActs | None = None,
    ) -> None:
        self._acts = acts or ServiceActs(None)
        self._settlement = settlement
        self._stuck_after = stuck_after
        self._engine = engine
        self._cards = cards
        self._wallet = wallet
        self._clock = clock

    def pay(self, request: pb.PayInvoiceRequest) -> pb.PayInvoiceResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        validation.optional_id(request.payment_method_id, "payment_method_id")
        guards.no_card_numbers(request)
        key = guards.account_key(account_id, guards.required_key(request.idempotency_key))
        if request.transfer_reference:
            validation.text(request.transfer_reference, "transfer_reference", max_length=200)
            if request.payment_method_id:
                raise InvalidArgument("payment_method_id", "must be empty for a bank transfer")
            response = self._pay_by_transfer(request, key)
        else:
            response = self._pay_by_card(request, key)
        if response.invoice.status == messages.STATUS_TO_PB[Status.PAID]:
            self.after_paid(account_id, request.invoice_id)
        return response

    def collect(self, account_id: str, invoice_id: str) -> None:
        """Charge a freshly issued invoice to the default card, if the account has one."""
        with self._engine.begin() as connection:
            row = invoice_store.get(connection, account_id, invoice_id)
            if row is None or row["kind"] not in AUTO_CHARGE_KINDS:
                return
            if row["status"] != Status.OPEN or messages.amount_due(row) == 0:
                return
            if payment_rows.default_card(connection, account_id) is None:
                invoice_store.update(
                    connection, invoice_id, {"payment_failure_reason": "no default card on file"}
                )
                return
        request = pb.PayInvoiceRequest(
            account_id=account_id, invoice_id=invoice_id, idempotency_key=f"auto:{invoice_id}"
        )
        try:
            self.pay(request)
        except BillingError as error:
            log.warning(
                "automatic charge failed", extra={"invoice_id": invoice_id, "error": str(error)}
            )

    def after_paid(self, account_id: str, invoice_id: str) -> None:
        """What a paid invoice gives the wallet: a partner invoice's days, a postpaid invoice's
        charges back on the balance. What fails now, the sweepers finish."""
        self.credit_days(account_id, invoice_id)
        if self._settlement is None:
            return
        try:
            self._settlement.settle(account_id, invoice_id)
        except BillingError as error:
            log.warning(
                "postpaid invoice not settled yet",
                extra={"invoice_id": invoice_id, "error": str(error)},
            )

    def settle_pending(self) -> int:
        """Paid postpaid invoices whose charges have not reached the wallet yet."""
        return self._settlement.settle_pending() if self._settlement is not None else 0

    def credit_days(self, account_id: str, invoice_id: str) -> bool:
        """Add a paid partner invoice's days to the wallet, once (AddDays is idempotent); paid
        again after a refund or a won dispute, the days taken back meanwhile go back in."""
        with self._engine.connect() as connection:
            row = invoice_store.get(connection, account_id, invoice_id)
        if row is None or row["status"] != Status.PAID or row["days"] <= 0:
            return False
        again = row["days_credited_time"] is not None
        if again and not row["days_taken_back"]:
            return False
        days, key = row["days"], f"invoice:{invoice_id}:days"
        if again:
            days = row["days_taken_back"]
            key = f"{key}-again:{row['paid_time'].isoformat()}:{days}"
        try:
            self._wallet.add_days(account_id, days, row["number"] or invoice_id, key)
        except BillingError as error:
            log.warning(
                "days not credited yet", extra={"invoice_id": invoice_id, "error": str(error)}
            )
            return False
        with self._engine.begin() as connection:
            if again:
                invoice_store.update(
                    connection,
                    invoice_id,
                    {"days_taken_back": 0},
                    days_taken_back=row["days_taken_back"],
                )
            else:
                invoice_store.update(
                    connection,
                    invoice_id,
                    {"days_credited_time": moment(self._clock)},
                    days_credited_time=None,
                )
        return True

    def credit_pending_days(self) -> int:
        """The sweeper's pass: credit the days of paid partner invoices that missed the wallet."""
        with self._engine.connect() as connection:
            rows = invoice_store.awaiting_days(connection, DAYS_BATCH)
        return sum(self.credit_days(row["account_id"], row["invoice_id"]) for row in rows)

    def resume_stuck_payments(self) -> int:
        """Finish card payments left pending (a crash or an unreachable provider mid-charge).

        The provider's payment is read by its stored id (or created again with the same key
        when the crash came before the id was stored), so nothing is charged twice; the
        client's own retry later finds it settled.
        """
        cutoff = moment(self._clock) - self._stuck_after
        with self._engine.connect() as connection:
            stuck = payment_rows.stuck(connection, cutoff, INVOICE, STUCK_PAYMENTS_BATCH)
        finished = 0
        for row in stuck:
            request = pb.PayInvoiceRequest(
                account_id=row["account_id"], invoice_id=row["invoice_id"]
            )
            try:
                with self._engine.connect() as connection:
                    claim = self._claim(connection, request, row["payment_id"])
                state = self._cards.refresh(claim.payment, claim.provider_token, claim.description)
            except BillingError as error:
                log.warning(
                    "payment still pending",
                    extra={"payment_id": row["payment_id"], "error": str(error)},
                )
                continue
            if state.status in PaymentStatus.FINAL:
                self.finish(row["payment_id"], state)
                finished += 1
        return finished

    def expire_unauthenticated(self, action_expiry: dt.timedelta) -> int:
        """Card payments of invoices the customer never authenticated (3-D Secure): cancelled
        at the provider after `action_expiry`, so that the invoice can be paid another way.
        One the customer completed meanwhile is settled as paid."""
        cutoff = moment(self._clock) - action_expiry
        with self._engine.connect() as connection:
            waiting = payment_rows.unauthenticated(
                connection, cutoff, INVOICE, STUCK_PAYMENTS_BATCH
            )
        expired = 0
        for row in waiting:
            try:
                state = self._cards.cancel_unauthenticated(row, EXPIRED_REASON)
            except BillingError as error:
                log.warning(
                    "unauthenticated payment not cancelled yet",
                    extra={"payment_id": row["payment_id"], "error": str(error)},
                )
                continue
            if state.status == PaymentStatus.SUCCEEDED:
                self.finish(row["payment_id"], state)
                continue
            with self._engine.begin() as connection:
                freed = invoice_store.update(
                    connection,
                    row["invoice_id"],
                    {"collecting_payment_id": None, "payment_failure_reason": EXPIRED_REASON},
                    collecting_payment_id=row["payment_id"],
                )
                if freed:
                    self._acts.record(
                        "InvoiceCardPaymentExpired",
                        row["account_id"],
                        row["invoice_id"],
                        f"{row['payment_id']}:expired",
                        reason=EXPIRED_REASON,
                        before={"payment_id": row["payment_id"], "status": row["status"]},
                        after={"payment_id": row["payment_id"], "status": "expired"},
                        connection=connection,
                    )
                expired += freed
        return expired

    def finish(self, payment_id: str, state: PaymentState) -> bool:
        """Settle an invoice's card payment the provider has decided (an answer or an event)."""
        with self._engine.begin() as connection:
            payment = payment_rows.payment_row(connection, payment_id)
            if payment is None or payment["purpose"] != INVOICE:
                return False
            request = pb.PayInvoiceRequest(
                account_id=payment["account_id"], invoice_id=payment["invoice_id"]
            )
            self._settle(connection, request, dict(payment), state)
        self.after_paid(payment["account_id"], payment["invoice_id"])
        return True

    def _pay_by_transfer(self, request: pb.PayInvoiceRequest, key: str) -> pb.PayInvoiceResponse:
        def settle() -> pb.PayInvoiceResponse:
            row = _payable(connection, request.account_id, request.invoice_id)
            due = messages.amount_due(row)
            now = moment(self._clock)
            payment = _payment_values(row, new_payment_id(), due, "transfer", "", SUCCEEDED, now)
            payment["reference"] = request.transfer_reference
            payment["updated_at"] = now
            connection.execute(tables.payments.insert().values(**payment))
            paid = {
                "status": Status.PAID,
                "paid_micros": row["paid_micros"] + due,
                "paid_time": now,
                "payment_failure_reason": "",
            }
            if not invoice_store.update(
                connection, row["invoice_id"], paid, status=Status.OPEN, collecting_payment_id=None
            ):
                raise FailedPrecondition("the invoice changed; try again", "invoice_id")
            return _response(connection, request.account_id, request.invoice_id, payment)

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                SCOPE,
                key,
                request,
                pb.PayInvoiceResponse,
                settle,
            )

    def _pay_by_card(self, request: pb.PayInvoiceRequest, key: str) -> pb.PayInvoiceResponse:
        payment_id = ids.derived_id("pay", key)
        with self._engine.begin() as connection:
            earlier = guards.stored_response(connection, SCOPE, key, request, pb.PayInvoiceResponse)
            if earlier is not None:
                return earlier
            claim = self._claim(connection, request, payment_id)
        if claim.payment["status"] == PENDING and not claim.payment["provider_payment_id"]:
            state = self._cards.run(claim.payment, claim.provider_token, claim.description)
        else:
            state = self._cards.refresh(claim.payment, claim.provider_token, claim.description)
        if state.status not in PaymentStatus.FINAL:
            # Not decided yet (authentication, processing): answered, not remembered.
            with self._engine.connect() as connection:
                payment = payment_rows.payment_row(connection, payment_id)
                response = _response(
                    connection, request.account_id, request.invoice_id, dict(payment or {})
                )
            response.payment.action_client_secret = state.action_secret
            return response
        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                SCOPE,
                key,
                request,
                pb.PayInvoiceResponse,
                lambda: self._settle(connection, request, claim.payment, state),
            )

    def _claim(
        self, connection: Connection, request: pb.PayInvoiceRequest, payment_id: str
    ) -> Claim:
        """The payment to charge and its card token: this key's earlier attempt, or a new one."""
        table = tables.payments
        earlier = connection.execute(
            sa.select(table).where(table.c.payment_id == payment_id)
        ).first()
        if earlier is not None:
            payment = dict(earlier._mapping)
            card = payment_rows.card(connection, request.account_id, payment["payment_method_id"])
            row = invoice_store.get(connection, request.account_id, request.invoice_id)
            if card is None or row is None:
                raise NotFound("the payment's card or invoice is gone", "payment_method_id")
            return Claim(payment, card["provider_token"], row["number"])
        row = _payable(connection, request.account_id, request.invoice_id)
        due = messages.amount_due(row)
        card_charges.minor_units(due, row["currency_code"], "invoice_id")
        if request.payment_method_id:
            card = payment_rows.card(connection, request.account_id, request.payment_method_id)
            if card is None:
                raise NotFound(f"card {request.payment_method_id!r} not found", "payment_method_id")
        else:
            card = payment_rows.default_card(connection, request.account_id)
            if card is None:
                raise FailedPrecondition("no default card on file", "payment_method_id")
        claimed = invoice_store.update(
            connection,
            row["invoice_id"],
            {"collecting_payment_id": payment_id},
            status=Status.OPEN,
            collecting_payment_id=None,
        )
        if not claimed:
            raise FailedPrecondition("another payment of this invoice is in progress", "invoice_id")
        payment = self._cards.pending(
            payment_id=payment_id,
            account_id=request.account_id,
            purpose=INVOICE,
            payment_method_id=card["payment_method_id"],
            currency_code=row["currency_code"],
            amount_micros=due,
            invoice_id=row["invoice_id"],
        )
        payment_rows.add_payment(connection, payment)
        return Claim(payment, card["provider_token"], row["number"])

    def _settle(
        self,
        connection: Connection,
        request: pb.PayInvoiceRequest,
        payment: dict[str, Any],
        state: PaymentState,
    ) -> pb.PayInvoiceResponse:
        now = moment(self._clock)
        approved = state.status == PaymentStatus.SUCCEEDED
        outcome = {
            "status": SUCCEEDED if approved else FAILED,
            "reference": state.payment_ref,
            "failure_reason": state.reason[:300],
        }
        table = tables.payments
        connection.execute(
            table.update()
            .where(table.c.payment_id == payment["payment_id"])
            .values(**outcome, updated_at=now)
        )
        invoice: dict[str, Any] = {"collecting_payment_id": None}
        if approved:
            row = invoice_store.get(connection, request.account_id, request.invoice_id)
            if row is None:
                raise NotFound("invoice not found", "invoice_id")
            invoice.update(
                status=Status.PAID,
                paid_micros=row["paid_micros"] + payment["amount_micros"],
                paid_time=now,
                payment_failure_reason="",
            )
        else:
            invoice["payment_failure_reason"] = state.reason or "declined"
        # Once per payment: only while the invoice still names it as the one being collected.
        changed = invoice_store.update(
            connection, request.invoice_id, invoice, collecting_payment_id=payment["payment_id"]
        )
        settled = {**payment, **outcome}
        if changed:
            # Decided without a person's call (the provider's word, an automatic charge).
            self._acts.record(
                "InvoicePaidByCard" if approved else "InvoiceCardPaymentFailed",
                request.account_id,
                request.invoice_id,
                f"{payment['payment_id']}:{outcome['status']}",
                reason=outcome["failure_reason"] or "the card on file was charged",
                before={"status": Status.OPEN, "payment_id": payment["payment_id"]},
                after={
                    "status": invoice.get("status", Status.OPEN),
                    "payment_id": payment["payment_id"],
                    "amount_micros": payment["amount_micros"],
                    "currency_code": payment["currency_code"],
                    "failure_reason": outcome["failure_reason"],
                },
                connection=connection,
            )
        return _response(connection, request.account_id, request.invoice_id, settled)


def new_payment_id() -> str:
    return ids.new_id("pay")


def _payable(connection: Connection, account_id: str, invoice_id: str) -> Mapping[Any, Any]:
    row = invoice_store.get(connection, account_id, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
    if row["status"] != Status.OPEN:
        raise FailedPrecondition(f"the invoice is {row['status']}; nothing to pay", "invoice_id")
    if row["collecting_payment_id"] is not None:
        raise FailedPrecondition("a card payment of this invoice is in progress", "invoice_id")
    if messages.amount_due(row) == 0:
        raise FailedPrecondition("nothing is due on this invoice", "invoice_id")
    return row


def _payment_values(
    row: Mapping[Any, Any],
    payment_id: str,
    amount_micros: int,
    method: str,
    method_id: str,
    status: str,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "invoice_id": row["invoice_id"],
        "account_id": row["account_id"],
        "currency_code": row["currency_code"],
        "amount_micros": amount_micros,
        "method": method,
        "payment_method_id": method_id,
        "reference": "",
        "status": status,
        "failure_reason": "",
        "created_at": now,
    }


def _response(
    connection: Connection, account_id: str, invoice_id: str, payment: dict[str, Any]
) -> pb.PayInvoiceResponse:
    return pb.PayInvoiceResponse(
        invoice=load(connection, account_id, invoice_id), payment=messages.payment(payment)
    )
