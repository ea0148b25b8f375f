"""The payments' SQL unit of work: one connection and transaction, with their repositories."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from services.common.clock import Clock
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters import card_messages, invoice_payment_messages
from services.invoicing.adapters.audit_entries import SqlAuditEntries
from services.invoicing.adapters.funding_events import SqlFundingEvents
from services.invoicing.adapters.invoice_payment_rows import SqlPayableInvoices, SqlProviderEvents
from services.invoicing.adapters.kept_answers import sql_replies
from services.invoicing.adapters.payment_rows import (
    SqlCardPayments,
    SqlCards,
    SqlCustomers,
    SqlFundings,
    SqlQuotes,
    SqlSubscriptions,
)
from services.invoicing.adapters.recharge_outbox import SqlRechargeAnswers
from services.invoicing.service.commands.invoice_payments import InvoicePayment
from services.invoicing.service.commands.payments import CardOnFile
from services.invoicing.service.ports.audit import AuditEntries
from services.invoicing.service.ports.fundings import FundingEvents
from services.invoicing.service.ports.invoice_payments import PayableInvoices, ProviderEvents
from services.invoicing.service.ports.payments import (
    CardPayments,
    Cards,
    Customers,
    FundingRecords,
    QuoteRecords,
    RechargeAnswers,
    Subscriptions,
)


class SqlPaymentWork(SqlTransaction):
    cards: Cards
    payments: CardPayments
    customers: Customers
    quotes: QuoteRecords
    fundings: FundingRecords
    subscriptions: Subscriptions
    recharge_answers: RechargeAnswers
    cards_added: Replies[CardOnFile]
    cards_removed: Replies[CardOnFile]
    funding_events: FundingEvents
    audit: AuditEntries
    invoices: PayableInvoices
    provider_events: ProviderEvents
    invoices_paid: Replies[InvoicePayment]

    def __init__(self, engine: Engine, clock: Clock) -> None:
        """clock: when the invoices' events written in the work occur."""
        super().__init__(engine)
        self._clock = clock

    def _bind(self, connection: Connection) -> None:
        self.cards = SqlCards(connection)
        self.payments = SqlCardPayments(connection)
        self.customers = SqlCustomers(connection)
        self.quotes = SqlQuotes(connection)
        self.fundings = SqlFundings(connection)
        self.subscriptions = SqlSubscriptions(connection)
        self.recharge_answers = SqlRechargeAnswers(connection)
        self.cards_added = sql_replies(connection, card_messages.CARD_ADDED)
        self.cards_removed = sql_replies(connection, card_messages.CARD_REMOVED)
        self.funding_events = SqlFundingEvents(connection)
        self.audit = SqlAuditEntries(connection)
        self.invoices = SqlPayableInvoices(connection, self._clock)
        self.provider_events = SqlProviderEvents(connection)
        self.invoices_paid = sql_replies(connection, invoice_payment_messages.INVOICE_PAID)
