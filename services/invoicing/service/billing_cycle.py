"""RunBillingCycle: close every cycle whose billing date has come, invoice it exactly once.

Per subscription and cycle: the subscription invoice (fee + active users beyond those
included) and, unless notifications are prepaid, the notifications invoice (postpaid template
charges, credits redeemed against it). Drafts are written first, keyed by (subscription,
cycle start), so a rerun or a concurrent run never invoices a cycle twice; finalising both and
advancing the subscription happen in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from services.common.clock import Clock, moment
from services.common.errors import BillingError, InvalidArgument
from services.invoicing.domain import cycles, lines
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.service import subscriptions
from services.invoicing.service.commands.cycles import CycleFailure, CycleRun, RunBillingCycle
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.commands.plans import Plan
from services.invoicing.service.commands.subscriptions import Subscription
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing
from services.invoicing.service.partner_billing import PartnerBilling
from services.invoicing.service.payments import Payments
from services.invoicing.service.ports import POSTPAID, PREPAID_MODES, UsageSource, Wallet
from services.invoicing.service.ports.billing import (
    AlreadyFinalised,
    BillingWorks,
    DuplicateDraft,
)
from services.invoicing.service.settings import InvoicingSettings

log = logging.getLogger(__name__)
SUBSCRIPTION_BATCH = 200
MAX_CYCLES_PER_SUBSCRIPTION = 36
MAX_INVOICES_IN_RESPONSE = 1000
CREDITS_APPLY_TO = "notifications_invoice"
# The first time zone to reach a date (UTC+14) does so this long before UTC.
EARLIEST_ZONE_AHEAD = dt.timedelta(hours=14)
LAST_ZONE_BEHIND = dt.timedelta(hours=12)


@dataclass
class RunResult:
    issued: list[str]
    failures: list[CycleFailure]


class BillingCycle:
    def __init__(
        self,
        works: BillingWorks,
        issuing: InvoiceIssuing,
        usage: UsageSource,
        wallet: Wallet,
        payments: Payments,
        settings: InvoicingSettings,
        clock: Clock,
        partners: PartnerBilling | None = None,
    ) -> None:
        self._partners = partners
        self._works = works
        self._issuing = issuing
        self._usage = usage
        self._wallet = wallet
        self._payments = payments
        self._settings = settings
        self._clock = clock

    def run(self, command: RunBillingCycle) -> CycleRun:
        as_of, account_id = command.as_of, command.account_id
        earliest_zone_today = (moment(self._clock) + EARLIEST_ZONE_AHEAD).date()
        if as_of > earliest_zone_today:
            raise InvalidArgument(
                "as_of_date", "must not be in the future: only cycles that have ended are billed"
            )
        if account_id:
            self._wallet.account_terms(account_id)  # NotFound for an unknown account
        result = self.bill_due(as_of, account_id)
        with self._works() as work:
            issued = work.invoices.many(result.issued[:MAX_INVOICES_IN_RESPONSE])
        return CycleRun(issued, result.failures, len(result.issued))

    def bill_due(self, as_of: dt.date, account_id: str = "") -> RunResult:
        result = RunResult(issued=[], failures=[])
        now = moment(self._clock)
        today_of: dict[str, dt.date] = {}
        for subscription, plan in self._subscriptions(account_id):
            months = plan.period_months
            for _ in range(MAX_CYCLES_PER_SUBSCRIPTION):
                cycle = subscriptions.next_cycle(subscription, months)
                if cycle is None or cycle.billing_date > as_of:
                    break
                owner = subscription.account_id
                if owner not in today_of:
                    today_of[owner] = self._today(owner, now)
                if cycle.billing_date > today_of[owner]:
                    break  # the cycle has not ended where the account is
                try:
                    result.issued.extend(self._bill_cycle(subscription, plan, cycle))
                except BillingError as error:
                    log.warning(
                        "cycle not billed",
                        extra={
                            "subscription_id": subscription.subscription_id,
                            "error": str(error),
                        },
                    )
                    result.failures.append(
                        CycleFailure(
                            account_id=subscription.account_id,
                            cycle_start=cycle.start,
                            reason=error.message,
                            subscription_id=subscription.subscription_id,
                        )
                    )
                    break
                subscription = replace(subscription, cycles_billed=cycle.index + 1)
        if self._partners is not None:
            partners = self._partners.bill_due(as_of, account_id)
            result.issued.extend(partners.issued)
            result.failures.extend(partners.failures)
        if self._settings.auto_charge:
            with self._works() as work:
                owners = work.invoices.owners(result.issued)
            for invoice_id in result.issued:
                self._payments.collect(owners[invoice_id], invoice_id)
        return result

    def _subscriptions(self, account_id: str) -> Iterator[tuple[Subscription, Plan]]:
        """Every subscription that may have a cycle to bill, in keyed batches."""
        after = ""
        while True:
            with self._works() as work:
                batch = work.subscriptions.batch(after, SUBSCRIPTION_BATCH, account_id)
                plans = work.plans.many({subscription.plan_id for subscription in batch})
            for subscription in batch:
                yield subscription, plans[subscription.plan_id]
            if len(batch) < SUBSCRIPTION_BATCH:
                return
            after = batch[-1].subscription_id

    def _bill_cycle(self, subscription: Subscription, plan: Plan, cycle: cycles.Cycle) -> list[str]:
        source = f"{subscription.subscription_id}:{cycle.start.isoformat()}"
        account_id = subscription.account_id
        drafts = self._drafts(account_id, source)
        if not drafts:
            self._write_drafts(subscription, plan, cycle, source)
            drafts = self._drafts(account_id, source)
        credits = {}
        for draft in drafts:
            owes = draft.kind == Kind.NOTIFICATIONS and draft.status == Status.DRAFT
            if owes and draft.total_micros:
                credits[draft.invoice_id] = self._wallet.redeem_credits(
                    account_id,
                    draft.invoice_id,
                    draft.currency_code,
                    draft.total_micros,
                    f"invoice:{draft.invoice_id}:credits",
                )
        now = moment(self._clock)
        for draft in drafts:
            self._issuing.ensure_series(draft.kind, now.year)
        finalised = []
        try:
            with self._works() as work:
                for draft in drafts:
                    if draft.status != Status.DRAFT:
                        continue
                    self._issuing.finalise(
                        work,
                        draft.invoice_id,
                        draft.kind,
                        now,
                        total_micros=draft.total_micros,
                        credits_applied_micros=credits.get(draft.invoice_id, 0),
                    )
                    finalised.append(draft.invoice_id)
                work.subscriptions.advance(subscription.subscription_id, cycle.index)
                work.commit()
        except AlreadyFinalised:
            return []
        return finalised

    def _drafts(self, account_id: str, source: str) -> list[Invoice]:
        """The cycle's invoices, the subscription invoice first."""
        with self._works() as work:
            return work.invoices.all_by_source(
                account_id, source, (Kind.SUBSCRIPTION, Kind.NOTIFICATIONS, Kind.STATEMENT)
            )

    def _today(self, account_id: str, now: dt.datetime) -> dt.date:
        """The date in the account's time zone; taken as UTC-12's (the last to reach a day) when
        the wallet cannot tell."""
        try:
            return self._wallet.account_terms(account_id).today(now)
        except BillingError:
            return (now - LAST_ZONE_BEHIND).date()

    def _charges(
        self, account_id: str, channel_id: str, cycle: cycles.Cycle, modes: tuple[str, ...]
    ) -> list[lines.ChargeLine]:
        """What metering charged on the cycle's days funded one way (the wallet says which):
        the notifications invoice bills the postpaid days' exactly; the statement shows what
        the balance paid on the others."""
        periods = self._wallet.funding_periods(account_id, cycle.start, cycle.end)
        return lines.merged(
            [
                self._usage.charge_lines(account_id, channel_id, period.start, period.end)
                for period in periods
                if period.mode in modes
            ]
        )

    def _write_drafts(
        self, subscription: Subscription, plan: Plan, cycle: cycles.Cycle, source: str
    ) -> None:
        account_id = subscription.account_id
        channel_id = subscription.channel_id
        terms = lines.PlanTerms(
            name=plan.name,
            currency_code=plan.currency_code,
            monthly_fee_micros=plan.monthly_fee_micros,
            included_active_users=plan.included_active_users,
            price_per_extra_user_micros=plan.price_per_extra_user_micros,
            notification_fee_micros=plan.notification_fee_micros,
            period_months=plan.period_months,
            discount_basis_points=plan.discount_basis_points,
        )
        users = [
            lines.ActiveUsers(
                start, end, self._usage.count_active_users(account_id, channel_id, start, end)
            )
            for start, end in cycles.month_slices(cycle, subscription.start_date.day)
        ]
        common: dict[str, Any] = {
            "account_id": account_id,
            "source_reference": source,
            "subscription_id": subscription.subscription_id,
            "period_start": cycle.start,
            "period_end": cycle.end,
        }
        drafts = [
            Draft(
                kind=Kind.SUBSCRIPTION,
                currency_code=terms.currency_code,
                lines=lines.subscription_lines(terms, cycle, users),
                **common,
            )
        ]
        paid_from_balance = self._charges(account_id, channel_id, cycle, PREPAID_MODES)
        if paid_from_balance:
            drafts.append(
                Draft(
                    kind=Kind.STATEMENT,
                    currency_code=terms.currency_code,
                    lines=lines.statement_lines(cycle, paid_from_balance),
                    **common,
                )
            )
        charged = self._charges(account_id, channel_id, cycle, (POSTPAID,))
        if charged:
            drafts.append(
                Draft(
                    kind=Kind.NOTIFICATIONS,
                    currency_code=terms.currency_code,
                    lines=lines.notification_lines(terms, cycle, charged),
                    **common,
                )
            )
        try:
            with self._works() as work:
                for draft in drafts:
                    self._issuing.insert_draft(work, draft)
                work.commit()
        except DuplicateDraft:
            log.info("cycle drafted by a concurrent run", extra={"source": source})
