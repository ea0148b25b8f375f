"""gRPC entrypoint of invoicing: translate requests, hand them to the use cases. Each area's
handlers are in their own module."""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.invoicing.entrypoints.account_handlers import AccountHandlers
from services.invoicing.entrypoints.billing_handlers import BillingHandlers
from services.invoicing.entrypoints.invoice_handlers import InvoiceHandlers
from services.invoicing.entrypoints.payment_handlers import PaymentHandlers
from services.invoicing.entrypoints.use_cases import UseCases

__all__ = ["InvoicingServicer", "UseCases"]


class InvoicingServicer(
    BillingHandlers,
    InvoiceHandlers,
    PaymentHandlers,
    AccountHandlers,
    pb_grpc.InvoicingServiceServicer,
):
    """Every RPC of the contract, by area."""
