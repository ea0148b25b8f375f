"""Billing's SQL unit of work: one connection and transaction, its repositories on it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.idempotency import SqlReplies
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.adapters import invoice_messages, tables
from services.invoicing.adapters.invoice_book import SqlInvoiceBook
from services.invoicing.adapters.invoice_payment_messages import RECEIPT_ISSUED
from services.invoicing.adapters.invoice_records import SqlInvoiceRecords
from services.invoicing.adapters.kept_answers import sql_replies
from services.invoicing.adapters.partner_contract_records import SqlPartnerContractRecords
from services.invoicing.adapters.plan_records import SqlPlanRecords
from services.invoicing.adapters.subscription_records import SqlSubscriptionRecords
from services.invoicing.adapters.tax_records import SqlOrganizationRecords, SqlTaxRecords
from services.invoicing.service.commands.invoice_payments import ReceiptIssued
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.commands.partners import ContractTerms
from services.invoicing.service.commands.plans import Plan
from services.invoicing.service.commands.subscriptions import SubscriptionDetails
from services.invoicing.service.commands.tax import OrganizationDetails, TaxConfiguration
from services.invoicing.service.ports.billing import (
    InvoiceBook,
    InvoiceRecords,
    OrganizationRecords,
    PartnerContractRecords,
    PlanRecords,
    SubscriptionRecords,
    TaxRecords,
)


class SqlBillingWork(SqlTransaction):
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
    receipts_issued: Replies[ReceiptIssued]

    def _bind(self, connection: Connection) -> None:
        self._bind_replies(connection)
        self.plans = SqlPlanRecords(connection)
        self.tax = SqlTaxRecords(connection)
        self.organizations = SqlOrganizationRecords(connection)
        self.contracts = SqlPartnerContractRecords(connection)
        self.subscriptions = SqlSubscriptionRecords(connection)
        self.invoices = SqlInvoiceRecords(connection)
        self.book = SqlInvoiceBook(connection)
        self.receipts_issued = sql_replies(connection, RECEIPT_ISSUED)

    def _bind_replies(self, connection: Connection) -> None:
        """Each kind of answer kept as the response its call gave."""
        self.plans_created = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_created_plan,
            messages.decode_created_plan,
        )
        self.organizations_updated = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_updated_organization,
            messages.decode_updated_organization,
        )
        self.tax_configured = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_tax_configuration,
            messages.decode_tax_configuration,
        )
        self.contracts_set = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_set_contract,
            messages.decode_set_contract,
        )
        self.subscriptions_created = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_created_subscription,
            messages.decode_created_subscription,
        )
        self.subscriptions_cancelled = SqlReplies(
            connection,
            tables.idempotency_keys,
            messages.encode_cancelled_subscription,
            messages.decode_cancelled_subscription,
        )
        self.credit_notes_issued = SqlReplies(
            connection,
            tables.idempotency_keys,
            invoice_messages.encode_credit_note,
            invoice_messages.decode_credit_note,
        )
        self.partner_days_invoiced = SqlReplies(
            connection,
            tables.idempotency_keys,
            invoice_messages.encode_partner_days,
            invoice_messages.decode_partner_days,
        )

    @classmethod
    def bound(cls, connection: Connection) -> SqlBillingWork:
        """The repositories on a connection whose transaction the caller owns."""
        work = cls(connection.engine)
        work._bind(connection)
        return work
