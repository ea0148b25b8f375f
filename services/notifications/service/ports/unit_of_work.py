"""The unit of work: one transaction with every repository on it."""

from __future__ import annotations

from typing import Protocol

from services.common.unit_of_work import Transaction
from services.notifications.service.ports.dispatch import DispatchRecords
from services.notifications.service.ports.emails import EmailRecords
from services.notifications.service.ports.endpoints import DeliveryLog, EndpointRecords
from services.notifications.service.ports.events import EventRecords
from services.notifications.service.ports.users import UserRecords


class UnitOfWork(Transaction, Protocol):
    """One transaction: committed by `commit`, rolled back on leaving without it."""

    endpoints: EndpointRecords
    deliveries: DeliveryLog
    users: UserRecords
    events: EventRecords
    emails: EmailRecords
    dispatch: DispatchRecords


class UnitsOfWork(Protocol):
    def __call__(self) -> UnitOfWork: ...
