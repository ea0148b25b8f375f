"""Partner invoices on request: channels x 30 days at the partner's contract price per
channel-month (or days at a thirtieth of it). The price is the provider's, set by an operator
per partner (partner_contracts.py): a request that names a price is refused, and so is one
from a partner without a contract, or from one billed by the days its channels used (it buys
no days).

The invoice is issued open; once paid (card or transfer) its days are credited to the
partner's wallet pool through wallet.AddDays, idempotently.
"""

from __future__ import annotations

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service import partner_contracts
from services.invoicing.service.commands.invoices import CreatePartnerDaysInvoice, Invoice
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing
from services.invoicing.service.ports.billing import BillingWork, BillingWorks

MAX_CHANNELS = 100_000
MAX_DAYS = MAX_CHANNELS * lines.DAYS_PER_CHANNEL_MONTH


class PartnerDays:
    def __init__(self, works: BillingWorks, issuing: InvoiceIssuing, clock: Clock) -> None:
        self._works = works
        self._issuing = issuing
        self._clock = clock

    def create(self, command: CreatePartnerDaysInvoice) -> Invoice:
        account_id = command.account_id
        with self._works() as work:
            contract = work.contracts.get(account_id)
        if contract is None:
            raise FailedPrecondition(
                "no contract price per channel-month is set for this partner; "
                "the provider sets it before days can be invoiced",
                "account_id",
            )
        invoice_lines, days = lines.partner_days_lines(
            command.channels, command.days, contract.price_per_channel_month_micros
        )
        draft = Draft(
            account_id=account_id,
            kind=Kind.PARTNER_DAYS,
            currency_code=contract.currency_code,
            lines=invoice_lines,
            days=days,
        )
        now = moment(self._clock)
        self._issuing.ensure_series(Kind.PARTNER_DAYS, now.year)

        def issue(work: BillingWork) -> Invoice:
            partner_contracts.refuse_days_for_days_used(
                work.contracts.get(account_id), work.contracts.billing_changes(account_id), now
            )
            return self._issuing.issue(work, draft, now)

        with self._works() as work:
            work.contracts.lock(account_id)
            answer = replies.once(
                work.partner_days_invoiced,
                "CreatePartnerDaysInvoice",
                command.idempotency_key,
                command.request_sha256,
                lambda: issue(work),
            )
            work.commit()
        return answer
