"""Billing's SQL unit of work: one connection and transaction, its repositories on it."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from services.common.clock import Clock
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.adapters import invoice_messages
from services.invoicing.adapters.invoice_book import SqlInvoiceBook
from services.invoicing.adapters.invoice_payment_messages import RECEIPT_ISSUED
from services.invoicing.adapters.invoice_records import SqlInvoiceRecords
from services.invoicing.adapters.kept_answers import sql_replies
from services.invoicing.adapters.partner_contract_records import SqlPartnerContractRecords
from services.invoicing.adapters.plan_records import SqlPlanRecords
from services.invoicing.adapters.postpaid_rows import SqlWalletSettlements
from services.invoicing.adapters.subscription_records import SqlSubscriptionRecords
from services.invoicing.adapters.tax_records import SqlOrganizationRecords, SqlTaxRecords
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
from services.invoicing.service.ports.postpaid import WalletSettlements


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
    settlements: WalletSettlements
    receipts_issued: Replies[Invoice]

    def __init__(self, engine: Engine, clock: Clock) -> None:
        """clock: when the invoices' events written in the work occur."""
        super().__init__(engine)
        self._clock = clock

    def _bind(self, connection: Connection) -> None:
        self._bind_replies(connection)
        self.plans = SqlPlanRecords(connection)
        self.tax = SqlTaxRecords(connection)
        self.organizations = SqlOrganizationRecords(connection)
        self.contracts = SqlPartnerContractRecords(connection)
        self.subscriptions = SqlSubscriptionRecords(connection)
        self.invoices = SqlInvoiceRecords(connection, self._clock)
        self.book = SqlInvoiceBook(connection, self._clock)
        self.settlements = SqlWalletSettlements(connection)
        self.receipts_issued = sql_replies(connection, RECEIPT_ISSUED)

    def _bind_replies(self, connection: Connection) -> None:
        """Each kind of answer kept as the response its call gave."""
        self.plans_created = sql_replies(connection, messages.CREATED_PLAN)
        self.organizations_updated = sql_replies(connection, messages.UPDATED_ORGANIZATION)
        self.tax_configured = sql_replies(connection, messages.TAX_CONFIGURED)
        self.contracts_set = sql_replies(connection, messages.CONTRACT_SET)
        self.subscriptions_created = sql_replies(connection, messages.SUBSCRIPTION_CREATED)
        self.subscriptions_cancelled = sql_replies(connection, messages.SUBSCRIPTION_CANCELLED)
        self.credit_notes_issued = sql_replies(connection, invoice_messages.CREDIT_NOTE_ISSUED)
        self.partner_days_invoiced = sql_replies(connection, invoice_messages.PARTNER_DAYS_INVOICED)
