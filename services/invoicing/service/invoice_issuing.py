"""Issuing an invoice: a draft with its lines and totals, then a gap-free number.

A draft is written first (so a cycle is invoiced once even if credits or payment fail later);
finalising takes the series' next number in the same unit of work that marks the invoice
issued. Once finalised, lines and amounts never change: corrections are credit notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from services.common.errors import NotFound
from services.invoicing.domain import invoices
from services.invoicing.domain import tax as tax_rules
from services.invoicing.domain.invoices import Kind, Line, Status
from services.invoicing.domain.issuers import Party
from services.invoicing.service import ids, tax
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.ports.billing import (
    BillingWork,
    BillingWorks,
    Finalisation,
    NewInvoice,
)
from services.invoicing.service.settings import InvoicingSettings


@dataclass(frozen=True)
class Draft:
    account_id: str
    kind: str
    currency_code: str
    lines: list[Line]
    source_reference: str | None = None
    subscription_id: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    corrects_invoice_id: str | None = None
    reason: str = ""
    days: int = 0
    # None: the rate of the account's organization details (0 without them).
    tax_rate_basis_points: int | None = None


def new_invoice_id() -> str:
    return ids.new_id("inv")


class InvoiceIssuing:
    def __init__(self, works: BillingWorks, settings: InvoicingSettings) -> None:
        self._works = works
        self._settings = settings
        self._series_ready: set[tuple[str, int]] = set()

    def ensure_series(self, kind: str, year: int) -> None:
        """Create the series' counter before any unit of work that finalises in it."""
        series = invoices.SERIES_BY_KIND[kind]
        if (series, year) in self._series_ready:
            return
        with self._works() as work:
            work.book.ensure_sequence(self._settings.issuer.issuer_id, series, year)
            work.commit()
        self._series_ready.add((series, year))

    def insert_draft(self, work: BillingWork, draft: Draft) -> str:
        organization = work.organizations.get(draft.account_id)
        configuration = work.tax.configuration(self._settings.issuer.issuer_id)
        applied = tax_rules.applied(tax.rules(configuration), tax.buyer(organization))
        rate, note = applied.rate_basis_points, applied.note
        bill_to = Party(name=draft.account_id)
        if organization is not None:
            bill_to = Party(
                name=organization.business_name,
                address=organization.address,
                tax_id=organization.tax_id,
                email=organization.billing_email,
                country=organization.country,
            )
        if draft.tax_rate_basis_points is not None:
            rate, note = draft.tax_rate_basis_points, ""
        totals = invoices.totals(draft.lines, rate, draft.currency_code)
        invoice_id = new_invoice_id()
        invoice = NewInvoice(
            invoice_id=invoice_id,
            account_id=draft.account_id,
            kind=draft.kind,
            status=Status.DRAFT,
            source_reference=draft.source_reference,
            subscription_id=draft.subscription_id,
            currency_code=draft.currency_code,
            period_start=draft.period_start,
            period_end=draft.period_end,
            issuer_id=self._settings.issuer.issuer_id,
            series=invoices.SERIES_BY_KIND[draft.kind],
            subtotal_micros=totals.subtotal_micros,
            tax_rate_basis_points=rate,
            tax_micros=totals.tax_micros,
            total_micros=totals.total_micros,
            corrects_invoice_id=draft.corrects_invoice_id,
            reason=draft.reason,
            days=draft.days,
            issuer=self._settings.issuer.party.to_json(),
            bill_to=bill_to.to_json(),
            tax_note=note,
        )
        work.book.insert(invoice, draft.lines)
        return invoice_id

    def finalise(
        self,
        work: BillingWork,
        invoice_id: str,
        kind: str,
        now: dt.datetime,
        *,
        total_micros: int,
        credits_applied_micros: int = 0,
    ) -> None:
        """Number the draft and issue it; AlreadyFinalised when another run did first."""
        series = invoices.SERIES_BY_KIND[kind]
        issuer_id = self._settings.issuer.issuer_id
        sequence = work.book.take_next_number(issuer_id, series, now.year)
        numbered = Finalisation(
            number=invoices.invoice_number(series, now.year, sequence),
            number_year=now.year,
            number_sequence=sequence,
            issue_time=now,
            credits_applied_micros=credits_applied_micros,
            status=Status.OPEN,
        )
        if kind in (Kind.CREDIT_NOTE, Kind.STATEMENT):
            numbered = replace(numbered, status=Status.ISSUED)
        elif kind == Kind.TOP_UP_RECEIPT:
            numbered = replace(
                numbered, status=Status.PAID, paid_micros=total_micros, paid_time=now
            )
        else:
            due = now + dt.timedelta(days=self._settings.payment_terms_days)
            if invoices.amount_due(total_micros, credits_applied_micros, 0, 0) == 0:
                numbered = replace(numbered, due_time=due, status=Status.PAID, paid_time=now)
            else:
                numbered = replace(numbered, due_time=due)
        work.book.finalise(invoice_id, numbered)

    def issue(self, work: BillingWork, draft: Draft, now: dt.datetime) -> Invoice:
        """A draft that pays nothing from credit numbered and issued at once, as it now reads."""
        invoice_id = self.insert_draft(work, draft)
        drafted = work.invoices.header(draft.account_id, invoice_id)
        total = drafted.total_micros if drafted is not None else 0
        self.finalise(work, invoice_id, draft.kind, now, total_micros=total)
        issued = work.invoices.get(draft.account_id, invoice_id)
        if issued is None:
            raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
        return issued
