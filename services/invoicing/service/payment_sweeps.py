"""Invoices' card payments the scheduler finishes: left pending by a crash or an unreachable
provider mid-charge, or waiting for an authentication (3-D Secure) that never came."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from services.common.clock import Clock, moment
from services.common.errors import BillingError
from services.invoicing.service import service_acts
from services.invoicing.service.card_charges import EXPIRED_REASON, INVOICE, CardCharges
from services.invoicing.service.invoice_card_payments import CardClaims
from services.invoicing.service.ports import PaymentState, PaymentStatus
from services.invoicing.service.ports.invoice_payments import InvoicePaymentWorks

log = logging.getLogger(__name__)
STUCK_PAYMENTS_BATCH = 100
# A card payment pending this long is taken for abandoned and finished by the scheduler.
DEFAULT_STUCK_AFTER = dt.timedelta(minutes=10)


class PaymentSweeps:
    def __init__(
        self,
        finish: Callable[[str, PaymentState], bool],
        claims: CardClaims,
        works: InvoicePaymentWorks,
        cards: CardCharges,
        clock: Clock,
        stuck_after: dt.timedelta,
    ) -> None:
        self._finish = finish
        self._claims = claims
        self._works = works
        self._cards = cards
        self._clock = clock
        self._stuck_after = stuck_after

    def resume_stuck_payments(self) -> int:
        """Finish card payments left pending (a crash or an unreachable provider mid-charge).

        The provider's payment is read by its stored id (or created again with the same key
        when the crash came before the id was stored), so nothing is charged twice; the
        client's own retry later finds it settled.
        """
        cutoff = moment(self._clock) - self._stuck_after
        with self._works() as work:
            stuck = work.payments.stuck(cutoff, INVOICE, STUCK_PAYMENTS_BATCH)
        finished = 0
        for row in stuck:
            try:
                with self._works() as work:
                    claim = self._claims.claim(
                        work, row["account_id"], row["invoice_id"], row["payment_id"]
                    )
                state = self._cards.refresh(claim.payment, claim.provider_token, claim.description)
            except BillingError as error:
                log.warning(
                    "payment still pending",
                    extra={"payment_id": row["payment_id"], "error": str(error)},
                )
                continue
            if state.status in PaymentStatus.FINAL:
                self._finish(row["payment_id"], state)
                finished += 1
        return finished

    def expire_unauthenticated(self, action_expiry: dt.timedelta) -> int:
        """Card payments of invoices the customer never authenticated (3-D Secure): cancelled
        at the provider after `action_expiry`, so that the invoice can be paid another way.
        One the customer completed meanwhile is settled as paid."""
        cutoff = moment(self._clock) - action_expiry
        with self._works() as work:
            waiting = work.payments.unauthenticated(cutoff, INVOICE, STUCK_PAYMENTS_BATCH)
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
                self._finish(row["payment_id"], state)
                continue
            with self._works() as work:
                freed = work.invoices.update(
                    row["invoice_id"],
                    {"collecting_payment_id": None, "payment_failure_reason": EXPIRED_REASON},
                    collecting_payment_id=row["payment_id"],
                )
                if freed:
                    service_acts.record(
                        work.audit,
                        "InvoiceCardPaymentExpired",
                        row["account_id"],
                        row["invoice_id"],
                        f"{row['payment_id']}:expired",
                        reason=EXPIRED_REASON,
                        before={"payment_id": row["payment_id"], "status": row["status"]},
                        after={"payment_id": row["payment_id"], "status": "expired"},
                    )
                work.commit()
            expired += freed
        return expired
