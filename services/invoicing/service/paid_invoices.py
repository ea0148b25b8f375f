"""What a paid invoice gives the wallet: a partner invoice's days (once; paid again after a
refund or a won dispute, the days taken back meanwhile), a postpaid invoice's charges back on
the balance. What fails now, the sweepers finish."""

from __future__ import annotations

import logging

from services.common.clock import Clock, moment
from services.common.errors import BillingError
from services.invoicing.domain.invoices import Status
from services.invoicing.service.ports import Wallet
from services.invoicing.service.ports.invoice_payments import InvoicePaymentWorks
from services.invoicing.service.postpaid import PostpaidSettlement

log = logging.getLogger(__name__)
DAYS_BATCH = 100


class PaidInvoices:
    def __init__(
        self,
        works: InvoicePaymentWorks,
        wallet: Wallet,
        clock: Clock,
        settlement: PostpaidSettlement | None = None,
    ) -> None:
        self._works = works
        self._wallet = wallet
        self._clock = clock
        self._settlement = settlement

    def after_paid(self, account_id: str, invoice_id: str) -> None:
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
        with self._works() as work:
            row = work.invoices.get(account_id, invoice_id)
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
        with self._works() as work:
            if again:
                work.invoices.update(
                    invoice_id, {"days_taken_back": 0}, days_taken_back=row["days_taken_back"]
                )
            else:
                work.invoices.update(
                    invoice_id,
                    {"days_credited_time": moment(self._clock)},
                    days_credited_time=None,
                )
            work.commit()
        return True

    def credit_pending_days(self) -> int:
        """The sweeper's pass: credit the days of paid partner invoices that missed the wallet."""
        with self._works() as work:
            rows = work.invoices.awaiting_days(DAYS_BATCH)
        return sum(self.credit_days(row["account_id"], row["invoice_id"]) for row in rows)
