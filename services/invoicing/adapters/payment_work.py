"""The payments' SQL unit of work: one connection and transaction, with their repositories."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters.payment_replies import SqlReplies
from services.invoicing.adapters.payment_rows import (
    SqlCardPayments,
    SqlCards,
    SqlCustomers,
    SqlFundings,
    SqlQuotes,
    SqlSubscriptions,
)
from services.invoicing.adapters.recharge_outbox import SqlRechargeAnswers
from services.invoicing.service.ports.payments import (
    CardPayments,
    Cards,
    Customers,
    FundingRecords,
    QuoteRecords,
    RechargeAnswers,
    Replies,
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
    replies: Replies

    def _bind(self, connection: Connection) -> None:
        self.cards = SqlCards(connection)
        self.payments = SqlCardPayments(connection)
        self.customers = SqlCustomers(connection)
        self.quotes = SqlQuotes(connection)
        self.fundings = SqlFundings(connection)
        self.subscriptions = SqlSubscriptions(connection)
        self.recharge_answers = SqlRechargeAnswers(connection)
        self.replies = SqlReplies(connection)
