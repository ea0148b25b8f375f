"""Billing's SQL unit of work: one connection and transaction, its repositories on it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters.billing_replies import SqlReplies
from services.invoicing.adapters.invoice_book import SqlInvoiceBook
from services.invoicing.adapters.invoice_records import SqlInvoiceRecords
from services.invoicing.adapters.partner_contract_records import SqlPartnerContractRecords
from services.invoicing.adapters.plan_records import SqlPlanRecords
from services.invoicing.adapters.subscription_records import SqlSubscriptionRecords
from services.invoicing.adapters.tax_records import SqlOrganizationRecords, SqlTaxRecords
from services.invoicing.service.ports.billing import (
    InvoiceBook,
    InvoiceRecords,
    OrganizationRecords,
    PartnerContractRecords,
    PlanRecords,
    Replies,
    SubscriptionRecords,
    TaxRecords,
)


class SqlBillingWork(SqlTransaction):
    replies: Replies
    plans: PlanRecords
    tax: TaxRecords
    organizations: OrganizationRecords
    contracts: PartnerContractRecords
    subscriptions: SubscriptionRecords
    invoices: InvoiceRecords
    book: InvoiceBook

    def _bind(self, connection: Connection) -> None:
        self.replies = SqlReplies(connection)
        self.plans = SqlPlanRecords(connection)
        self.tax = SqlTaxRecords(connection)
        self.organizations = SqlOrganizationRecords(connection)
        self.contracts = SqlPartnerContractRecords(connection)
        self.subscriptions = SqlSubscriptionRecords(connection)
        self.invoices = SqlInvoiceRecords(connection)
        self.book = SqlInvoiceBook(connection)

    @classmethod
    def bound(cls, connection: Connection) -> SqlBillingWork:
        """The repositories on a connection whose transaction the caller owns."""
        work = cls(connection.engine)
        work._bind(connection)
        return work
