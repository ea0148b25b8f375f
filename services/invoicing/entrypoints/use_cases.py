"""What invoicing's gRPC handlers share: the use cases they hand requests to and the audit
log of what people do."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.audit import AuditLog
from services.invoicing.service import (
    billing_cycle,
    credit_notes,
    fund_quotes,
    funding_switch,
    fundings,
    invoice_reading,
    organizations,
    partner_contracts,
    partner_days,
    payment_events,
    payment_methods,
    payments,
    plans,
    receipts,
    subscriptions,
    tax,
)


@dataclass(frozen=True)
class UseCases:
    plans: plans.Plans
    subscriptions: subscriptions.Subscriptions
    billing: billing_cycle.BillingCycle
    receipts: receipts.Receipts
    partner_days: partner_days.PartnerDays
    partner_contracts: partner_contracts.PartnerContracts
    credit_notes: credit_notes.CreditNotes
    invoices: invoice_reading.Invoices
    payments: payments.Payments
    payment_methods: payment_methods.PaymentMethods
    organizations: organizations.Organizations
    fundings: fundings.Fundings
    fund_quotes: fund_quotes.FundQuotes
    payment_events: payment_events.PaymentEvents
    tax: tax.TaxSettings
    funding: funding_switch.FundingSwitch


class Handlers:
    def __init__(self, use_cases: UseCases, audit: AuditLog) -> None:
        self._use = use_cases
        self._audit = audit
