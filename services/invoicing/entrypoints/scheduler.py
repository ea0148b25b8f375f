"""The billing pass invoicing's background loop runs: bill due cycles daily, credit partner days
that missed the wallet, finish payments left half way and cancel those never authenticated."""

from __future__ import annotations

import datetime as dt
import logging

from services.common.clock import Clock, moment
from services.invoicing.service.billing_cycle import BillingCycle
from services.invoicing.service.fundings import DEFAULT_ACTION_EXPIRY, Fundings
from services.invoicing.service.paid_invoices import PaidInvoices
from services.invoicing.service.payment_sweeps import PaymentSweeps

log = logging.getLogger(__name__)
# A billing date has begun in every time zone (UTC-12 is the last) 12 hours after it began in UTC.
LAST_TIME_ZONE_LAG = dt.timedelta(hours=12)


class BillingScheduler:
    """Bills cycles whose billing date has begun everywhere; a Loop runs `step` every interval."""

    def __init__(
        self,
        billing: BillingCycle,
        paid: PaidInvoices,
        sweeps: PaymentSweeps,
        fundings: Fundings,
        clock: Clock,
        action_expiry: dt.timedelta = DEFAULT_ACTION_EXPIRY,
    ) -> None:
        self._action_expiry = action_expiry
        self._billing = billing
        self._paid = paid
        self._sweeps = sweeps
        self._fundings = fundings
        self._clock = clock

    def step(self) -> int:
        """One pass for the loop; always idle, so the next pass waits a whole interval (a
        failing pass is logged and retried after the loop's backoff)."""
        self.tick()
        return 0

    def tick(self) -> None:
        as_of = (moment(self._clock) - LAST_TIME_ZONE_LAG).date()
        result = self._billing.bill_due(as_of)
        resumed = self.resume_payments() + self.resume_fundings()
        expired = self.expire_unauthenticated()
        credited = self.sweep_days() + self.settle_postpaid()
        if result.issued or result.failures or credited or resumed or expired:
            log.info(
                "billing pass",
                extra={
                    "as_of": as_of.isoformat(),
                    "issued": len(result.issued),
                    "failed": len(result.failures),
                    "days_credited": credited,
                    "payments_resumed": resumed,
                    "payments_expired": expired,
                },
            )

    def resume_payments(self) -> int:
        """Finish card payments left pending past INVOICING_STUCK_PAYMENT_SECONDS."""
        return self._sweeps.resume_stuck_payments()

    def resume_fundings(self) -> int:
        """Finish added funds and recharges a crash or an outage left half way."""
        return self._fundings.resume_stuck()

    def expire_unauthenticated(self) -> int:
        """Cancel payments that waited longer than INVOICING_ACTION_EXPIRY_SECONDS for the
        customer's authentication (3-D Secure); nothing was charged, nothing is credited."""
        return self._fundings.expire_unauthenticated() + self._sweeps.expire_unauthenticated(
            self._action_expiry
        )

    def settle_postpaid(self) -> int:
        """Give the wallet back the charges of paid postpaid invoices it has not got yet."""
        return self._paid.settle_pending()

    def sweep_days(self) -> int:
        """Credit the days of paid partner invoices that have not reached the wallet yet."""
        return self._paid.credit_pending_days()
