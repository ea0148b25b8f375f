"""The SQL unit of work: one connection and transaction, with notifications' repositories on it."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.notifications.adapters.records.deliveries import SqlDeliveryLog
from services.notifications.adapters.records.dispatch import SqlDispatchRecords
from services.notifications.adapters.records.emails import SqlEmailRecords
from services.notifications.adapters.records.endpoints import SqlEndpointRecords
from services.notifications.adapters.records.events import SqlEventRecords
from services.notifications.adapters.records.users import SqlUserRecords
from services.notifications.service.ports import (
    DeliveryLog,
    DispatchRecords,
    EmailRecords,
    EndpointRecords,
    EventRecords,
    UserRecords,
)

__all__ = [
    "SqlDeliveryLog",
    "SqlDispatchRecords",
    "SqlEmailRecords",
    "SqlEndpointRecords",
    "SqlEventRecords",
    "SqlUnitOfWork",
    "SqlUnitsOfWork",
    "SqlUserRecords",
]


class SqlUnitOfWork(SqlTransaction):
    endpoints: EndpointRecords
    deliveries: DeliveryLog
    users: UserRecords
    events: EventRecords
    emails: EmailRecords
    dispatch: DispatchRecords

    def _bind(self, connection: Connection) -> None:
        self.endpoints = SqlEndpointRecords(connection)
        self.deliveries = SqlDeliveryLog(connection)
        self.users = SqlUserRecords(connection)
        self.events = SqlEventRecords(connection)
        self.emails = SqlEmailRecords(connection)
        self.dispatch = SqlDispatchRecords(connection)


class SqlUnitsOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
