"""Billing's unit of work and the repositories behind it (adapters/billing_work.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.invoicing.domain.invoice_filter import InvoiceFilter
from services.invoicing.domain.invoices import Line
from services.invoicing.domain.partner_terms import BillingChange
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.commands.partners import ContractTerms, PartnerContract
from services.invoicing.service.commands.plans import Plan
from services.invoicing.service.commands.subscriptions import Subscription, SubscriptionDetails
from services.invoicing.service.commands.tax import (
    Organization,
    OrganizationDetails,
    TaxConfiguration,
)


class PlanRecords(Protocol):
    def exists(self, plan_id: str) -> bool: ...

    def add(self, plan: Plan) -> None: ...

    def get(self, plan_id: str) -> Plan | None: ...

    def page(self, limit: int, offset: int) -> list[Plan]: ...

    def many(self, plan_ids: set[str]) -> dict[str, Plan]: ...


class TaxRecords(Protocol):
    def configuration(self, issuer_id: str) -> TaxConfiguration | None:
        """The issuer's rules; None when it configured none."""
        ...

    def save_configuration(
        self, issuer_id: str, configuration: TaxConfiguration, updated_at: dt.datetime
    ) -> None: ...


class OrganizationRecords(Protocol):
    def get(self, account_id: str) -> Organization | None: ...

    def save(self, organization: Organization, update_time: dt.datetime, *, new: bool) -> None:
        """Write the details the buyer edits (and the pending change); `new` inserts them."""
        ...

    def set_treatment(
        self,
        account_id: str,
        treatment: str,
        exempt_reason: str,
        update_time: dt.datetime,
        confirmed: Organization | None,
    ) -> None:
        """An operator's treatment; `confirmed` also takes its pending country and tax id."""
        ...


class PartnerContractRecords(Protocol):
    def lock(self, account_id: str) -> None:
        """Take the contract's write lock as the transaction's first statement, so a change
        of billing, a request for days and a billing run never decide on the same reading."""
        ...

    def get(self, account_id: str) -> PartnerContract | None: ...

    def billing_changes(self, account_id: str) -> list[BillingChange]:
        """The partner's changes of billing, in the order they were set."""
        ...

    def holds_days(self, account_id: str) -> bool:
        """Whether an invoice of this partner has credited days, or would once paid."""
        ...

    def scheduled(self, after: str, limit: int, account_id: str) -> list[PartnerContract]:
        """Contracts with a monthly schedule after `after`, by account (only `account_id`'s
        when given)."""
        ...

    def advance(self, account_id: str, index: int) -> None:
        """Cycle `index` is done, unless a concurrent run moved on already."""
        ...

    def save(self, contract: PartnerContract, change: BillingChange | None) -> None:
        """Write the price and schedule (not the cycles billed), and append the change."""
        ...


class SubscriptionRecords(Protocol):
    def plan_terms(self, plan_id: str) -> tuple[int, str] | None:
        """The plan's months per cycle and currency; None for an unknown plan."""
        ...

    def period_months(self, plan_id: str) -> int: ...

    def exists(self, subscription_id: str) -> bool: ...

    def add(self, subscription: Subscription) -> None: ...

    def get(self, account_id: str, subscription_id: str) -> Subscription | None: ...

    def page(self, account_id: str, limit: int, offset: int) -> list[tuple[Subscription, int]]:
        """The account's subscriptions in the order they were made, each with its plan's
        months per cycle."""
        ...

    def batch(self, after: str, limit: int, account_id: str) -> list[Subscription]:
        """Subscriptions after `after`, by id (only `account_id`'s when given)."""
        ...

    def advance(self, subscription_id: str, index: int) -> None:
        """Cycle `index` is invoiced, unless a concurrent run moved on already."""
        ...

    def cancel(self, subscription: Subscription, immediately: bool) -> None:
        """Store the cancelled subscription and announce it (outbox)."""
        ...


class InvoiceRecords(Protocol):
    """One account's invoices with their lines."""

    def get(self, account_id: str, invoice_id: str) -> Invoice | None: ...

    def page(
        self, account_id: str, wanted: InvoiceFilter, limit: int, offset: int
    ) -> list[Invoice]: ...

    def many(self, invoice_ids: Sequence[str]) -> list[Invoice]:
        """Invoices by id over every account, for the service's own runs (never for a caller's
        request)."""
        ...

    def all_by_source(self, account_id: str, source: str, kinds: Sequence[str]) -> list[Invoice]:
        """The account's invoices of those kinds drafted for `source` (kinds in reverse
        order), without their lines."""
        ...

    def owners(self, invoice_ids: Sequence[str]) -> dict[str, str]:
        """The account of each invoice, over every account (the service's own runs)."""
        ...

    def by_source(self, account_id: str, kind: str, source: str) -> Invoice | None:
        """The account's invoice of that kind drafted for `source`, without its lines."""
        ...

    def header(self, account_id: str, invoice_id: str) -> Invoice | None:
        """The invoice without its lines (they are left empty)."""
        ...

    def credit(
        self, invoice_id: str, credited_micros: int, was_micros: int, paid_time: dt.datetime | None
    ) -> bool:
        """Raise what credit notes took off the invoice from `was_micros` (and mark it paid at
        `paid_time` when given); False when it changed meanwhile."""
        ...


class AlreadyFinalised(Exception):
    """Another transaction finalised the draft first; this one must roll back."""


class DuplicateDraft(Exception):
    """A draft for the same source was written first (by a concurrent run)."""


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """A draft as written, before its number."""

    invoice_id: str
    account_id: str
    kind: str
    status: str
    source_reference: str | None
    subscription_id: str | None
    currency_code: str
    period_start: dt.date | None
    period_end: dt.date | None
    issuer_id: str
    series: str
    subtotal_micros: int
    tax_rate_basis_points: int
    tax_micros: int
    total_micros: int
    corrects_invoice_id: str | None
    reason: str
    days: int
    issuer: str  # the parties as JSON (domain/issuers.py)
    bill_to: str
    tax_note: str


@dataclass(frozen=True, slots=True)
class Finalisation:
    """What finalising writes on a draft; None fields are left as they are."""

    number: str
    number_year: int
    number_sequence: int
    issue_time: dt.datetime
    credits_applied_micros: int
    status: str
    due_time: dt.datetime | None = None
    paid_micros: int | None = None
    paid_time: dt.datetime | None = None


class InvoiceBook(Protocol):
    """Drafts, gap-free numbers and finalisation."""

    def ensure_sequence(self, issuer_id: str, series: str, year: int) -> None:
        """Create the counter of a series once (a concurrent creator wins harmlessly)."""
        ...

    def take_next_number(self, issuer_id: str, series: str, year: int) -> int:
        """Lock the series' counter and take its next number (a rollback returns it)."""
        ...

    def insert(self, invoice: NewInvoice, lines: Sequence[Line]) -> None:
        """DuplicateDraft when a draft for the same source exists; the unit of work is then
        spent."""
        ...

    def finalise(self, invoice_id: str, numbered: Finalisation) -> None:
        """Move a draft to its finalised status; AlreadyFinalised if it is not a draft."""
        ...


class BillingWork(Transaction, Protocol):
    plans_created: Replies[Plan]
    organizations_updated: Replies[OrganizationDetails]
    tax_configured: Replies[TaxConfiguration]
    contracts_set: Replies[ContractTerms]
    subscriptions_created: Replies[SubscriptionDetails]
    subscriptions_cancelled: Replies[SubscriptionDetails]
    credit_notes_issued: Replies[Invoice]
    partner_days_invoiced: Replies[Invoice]
    plans: PlanRecords
    tax: TaxRecords
    organizations: OrganizationRecords
    contracts: PartnerContractRecords
    subscriptions: SubscriptionRecords
    invoices: InvoiceRecords
    book: InvoiceBook


BillingWorks = Callable[[], BillingWork]


class ReceiptWork(BillingWork, Protocol):
    """Billing's unit of work as issuing top-up receipts sees it."""

    receipts_issued: Replies[Invoice]


ReceiptWorks = Callable[[], ReceiptWork]
