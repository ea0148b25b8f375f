"""The billing run's partner invoices: each scheduled partner's due cycles, invoiced once.

In advance, a cycle is billed on its first day (in the account's time zone): the channels
live as the day began x 30 days at the contract price, the days credited once paid (as an
invoice on request). By days used, it is billed the day after its last: the channel-days of
the cycle at a thirtieth of the price, nothing credited. The wallet counts the channels
(CountChannelDays); a count is final once its day has begun where the account is.

Exactly once, as cycles are: the draft is written first, unique per (account, partner_days,
"partner:<cycle start>"); finalising it and advancing the contract's `cycles_billed` is one
transaction. A cycle with no channel (or no channel-day) is passed without an invoice; a
rerun, or a concurrent run, issues nothing again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from services.common.clock import Clock, moment
from services.common.errors import BillingError
from services.invoicing.domain import cycles, partner_terms
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.partner_terms import DAYS_USED, IN_ADVANCE
from services.invoicing.service.commands.cycles import CycleFailure
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.commands.partners import PartnerContract
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing
from services.invoicing.service.ports import ChannelCounts, Wallet
from services.invoicing.service.ports.billing import AlreadyFinalised, BillingWorks, DuplicateDraft

log = logging.getLogger(__name__)
CONTRACT_BATCH = 200
MAX_CYCLES_PER_CONTRACT = 36


@dataclass
class PartnerRun:
    issued: list[str] = field(default_factory=list)
    failures: list[CycleFailure] = field(default_factory=list)


class PartnerBilling:
    def __init__(
        self,
        works: BillingWorks,
        issuing: InvoiceIssuing,
        wallet: Wallet,
        channels: ChannelCounts,
        clock: Clock,
    ) -> None:
        self._works = works
        self._issuing = issuing
        self._wallet = wallet
        self._channels = channels
        self._clock = clock

    def bill_due(self, as_of: dt.date, account_id: str = "") -> PartnerRun:
        """Bill every scheduled partner's cycles due by `as_of` and by today where it is."""
        run = PartnerRun()
        now = moment(self._clock)
        for contract in self._scheduled(account_id):
            self._bill_contract(contract, as_of, now, run)
        return run

    def _bill_contract(
        self, contract: PartnerContract, as_of: dt.date, now: dt.datetime, run: PartnerRun
    ) -> None:
        account_id, start = contract.account_id, contract.start_date
        if start is None:
            return
        with self._works() as work:
            changes = work.contracts.billing_changes(account_id)
        index = contract.cycles_billed
        today = None
        for _ in range(MAX_CYCLES_PER_CONTRACT):
            billed = partner_terms.cycle(start, index)
            billing = partner_terms.billing_of_cycle(changes, index)
            due = partner_terms.due_date(billing, billed)
            if due > as_of:
                return
            try:
                if today is None:  # asked only of a partner with a cycle due
                    today = self._wallet.account_terms(account_id).today(now)
                if due > today:
                    return  # the day has not come where the partner is
                run.issued.extend(self._bill_cycle(contract, billed, billing))
            except BillingError as error:
                log.warning(
                    "partner cycle not billed",
                    extra={"account_id": account_id, "error": str(error)},
                )
                run.failures.append(_failure(account_id, billed.start, error))
                return
            index += 1

    def _bill_cycle(
        self, contract: PartnerContract, billed: cycles.Cycle, billing: str
    ) -> list[str]:
        account_id = contract.account_id
        source = f"partner:{billed.start.isoformat()}"
        draft = None
        if billing in (IN_ADVANCE, DAYS_USED):
            draft = self._draft_of(account_id, source)
            if draft is None:
                self._write_draft(contract, billed, billing, source)
                draft = self._draft_of(account_id, source)
        now = moment(self._clock)
        if draft is not None:
            self._issuing.ensure_series(Kind.PARTNER_DAYS, now.year)
        finalised = []
        try:
            with self._works() as work:
                if draft is not None and draft.status == Status.DRAFT:
                    self._issuing.finalise(
                        work,
                        draft.invoice_id,
                        Kind.PARTNER_DAYS,
                        now,
                        total_micros=draft.total_micros,
                    )
                    finalised.append(draft.invoice_id)
                # The next run starts after this cycle (a concurrent run's move stands).
                work.contracts.advance(account_id, billed.index)
                work.commit()
        except AlreadyFinalised:
            return []
        return finalised

    def _draft_of(self, account_id: str, source: str) -> Invoice | None:
        with self._works() as work:
            return work.invoices.by_source(account_id, Kind.PARTNER_DAYS, source)

    def _write_draft(
        self, contract: PartnerContract, billed: cycles.Cycle, billing: str, source: str
    ) -> None:
        """The cycle's draft from the wallet's count; none when there is nothing to bill."""
        account_id = contract.account_id
        price = contract.price_per_channel_month_micros
        days = 0
        if billing == IN_ADVANCE:
            live = self._channels.count_channel_days(account_id, billed.start, billed.start)
            if not live.live_channels:
                return
            lines, days = partner_terms.in_advance_lines(live.live_channels, price, billed)
        else:
            used = self._channels.count_channel_days(account_id, billed.start, billed.end)
            if not used.channel_days:
                return
            lines = partner_terms.days_used_lines(
                used.channel_days, used.channels_used, price, billed
            )
        draft = Draft(
            account_id=account_id,
            kind=Kind.PARTNER_DAYS,
            currency_code=contract.currency_code,
            lines=lines,
            source_reference=source,
            period_start=billed.start,
            period_end=billed.end,
            days=days,
        )
        try:
            with self._works() as work:
                self._issuing.insert_draft(work, draft)
                work.commit()
        except DuplicateDraft:
            log.info("partner cycle drafted by a concurrent run", extra={"source": source})

    def _scheduled(self, account_id: str) -> Iterator[PartnerContract]:
        """Contracts with a monthly schedule, in keyed batches."""
        after = ""
        while True:
            with self._works() as work:
                batch = work.contracts.scheduled(after, CONTRACT_BATCH, account_id)
            yield from batch
            if len(batch) < CONTRACT_BATCH:
                return
            after = batch[-1].account_id


def _failure(account_id: str, cycle_start: dt.date, error: BillingError) -> CycleFailure:
    return CycleFailure(account_id, cycle_start, f"partner days: {error.message}")
