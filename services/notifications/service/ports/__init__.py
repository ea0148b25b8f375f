"""What notifications' use cases need from outside, as ports, one module per area: a unit of
work per transaction with its repositories, a mailer, and what a webhook attempt reports.
Adapters implement them; the bootstrap wires them."""

from services.notifications.service.ports.dispatch import (
    DispatchRecords,
    DueDelivery,
    Outcome,
    RecordedEvent,
    WebhookTarget,
)
from services.notifications.service.ports.emails import EmailRecords, PendingEmail
from services.notifications.service.ports.endpoints import (
    DeliveryLog,
    EndpointFields,
    EndpointRecords,
    KeyTaken,
)
from services.notifications.service.ports.events import (
    EventRecords,
    NewDelivery,
    NewEmail,
    Subscription,
)
from services.notifications.service.ports.mail import Attachment, Email, Mailer, MailError
from services.notifications.service.ports.unit_of_work import UnitOfWork, UnitsOfWork
from services.notifications.service.ports.users import UserRecords

__all__ = [
    "Attachment",
    "DeliveryLog",
    "DispatchRecords",
    "DueDelivery",
    "Email",
    "EmailRecords",
    "EndpointFields",
    "EndpointRecords",
    "EventRecords",
    "KeyTaken",
    "MailError",
    "Mailer",
    "NewDelivery",
    "NewEmail",
    "Outcome",
    "PendingEmail",
    "RecordedEvent",
    "Subscription",
    "UnitOfWork",
    "UnitsOfWork",
    "UserRecords",
    "WebhookTarget",
]
