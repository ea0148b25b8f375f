"""The payments' SQL unit of work: one connection and transaction, with their repositories."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.unit_of_work import SqlTransaction
from services.invoicing.adapters.payment_replies import SqlReplies
from services.invoicing.adapters.payment_rows import SqlCardPayments, SqlCards, SqlCustomers
from services.invoicing.service.ports.payments import CardPayments, Cards, Customers, Replies


class SqlPaymentWork(SqlTransaction):
    cards: Cards
    payments: CardPayments
    customers: Customers
    replies: Replies

    def _bind(self, connection: Connection) -> None:
        self.cards = SqlCards(connection)
        self.payments = SqlCardPayments(connection)
        self.customers = SqlCustomers(connection)
        self.replies = SqlReplies(connection)
