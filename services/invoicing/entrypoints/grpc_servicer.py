"""gRPC entrypoint of invoicing: translate requests, hand them to the use cases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc
from google.api import httpbody_pb2
from google.protobuf import json_format

from services.common.audit import AuditLog
from services.common.errors import InvalidArgument, PermissionDenied
from services.common.service_auth import current_identity
from services.invoicing.service import (
    billing_cycle,
    credit_notes,
    invoices,
    organizations,
    partner_days,
    payment_methods,
    payments,
    plans,
    receipts,
    subscriptions,
)

PDF_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class UseCases:
    plans: plans.Plans
    subscriptions: subscriptions.Subscriptions
    billing: billing_cycle.BillingCycle
    receipts: receipts.Receipts
    partner_days: partner_days.PartnerDays
    credit_notes: credit_notes.CreditNotes
    invoices: invoices.Invoices
    payments: payments.Payments
    payment_methods: payment_methods.PaymentMethods
    organizations: organizations.Organizations


class InvoicingServicer(pb_grpc.InvoicingServiceServicer):
    def __init__(self, use_cases: UseCases, audit: AuditLog) -> None:
        self._use = use_cases
        self._audit = audit

    def CreatePlan(
        self, request: pb.CreatePlanRequest, context: grpc.ServicerContext
    ) -> pb.CreatePlanResponse:
        return self._audit.around(
            "CreatePlan",
            request,
            lambda: self._use.plans.create(request),
            target=lambda answer: answer.plan.plan_id,
        )

    def ListPlans(
        self, request: pb.ListPlansRequest, context: grpc.ServicerContext
    ) -> pb.ListPlansResponse:
        return self._use.plans.list(request)

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        return self._audit.around(
            "CreateSubscription",
            request,
            lambda: self._use.subscriptions.create(request),
            target=lambda answer: answer.subscription.subscription_id,
        )

    def GetSubscription(
        self, request: pb.GetSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.GetSubscriptionResponse:
        return self._use.subscriptions.get(request)

    def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSubscriptionsResponse:
        return self._use.subscriptions.list(request)

    def CancelSubscription(
        self, request: pb.CancelSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CancelSubscriptionResponse:
        return self._audit.around(
            "CancelSubscription",
            request,
            lambda: self._use.subscriptions.cancel(request),
            before=lambda: self._use.subscriptions.get(
                pb.GetSubscriptionRequest(
                    account_id=request.account_id, subscription_id=request.subscription_id
                )
            ),
            target=lambda _answer: request.subscription_id,
        )

    def RunBillingCycle(
        self, request: pb.RunBillingCycleRequest, context: grpc.ServicerContext
    ) -> pb.RunBillingCycleResponse:
        return self._audit.around(
            "RunBillingCycle",
            request,
            lambda: self._use.billing.run(request),
            after=lambda answer: {
                "as_of_date": request.as_of_date,
                "issued_count": answer.issued_count,
                "invoice_ids": [invoice.invoice_id for invoice in answer.invoices],
                "failures": len(answer.failures),
            },
        )

    def CreateTopUpReceipt(
        self, request: pb.CreateTopUpReceiptRequest, context: grpc.ServicerContext
    ) -> pb.CreateTopUpReceiptResponse:
        return self._audit.around(
            "CreateTopUpReceipt",
            request,
            lambda: self._use.receipts.create(request),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def CreatePartnerDaysInvoice(
        self, request: pb.CreatePartnerDaysInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.CreatePartnerDaysInvoiceResponse:
        identity = current_identity()
        if request.HasField("price_per_channel_month") and not (identity and identity.operator):
            raise InvalidArgument(
                "price_per_channel_month", "is the provider's: your contract price applies"
            )
        return self._audit.around(
            "CreatePartnerDaysInvoice",
            request,
            lambda: self._use.partner_days.create(request),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def ListInvoices(
        self, request: pb.ListInvoicesRequest, context: grpc.ServicerContext
    ) -> pb.ListInvoicesResponse:
        return self._use.invoices.list(request)

    def GetInvoice(
        self, request: pb.GetInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.GetInvoiceResponse:
        return self._use.invoices.get(request)

    def DownloadInvoicePdf(
        self, request: pb.DownloadInvoicePdfRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadInvoicePdfResponse]:
        for chunk in self._use.invoices.pdf_chunks(request):
            body = httpbody_pb2.HttpBody(content_type=PDF_CONTENT_TYPE, data=chunk)
            yield pb.DownloadInvoicePdfResponse(body=body)

    def PayInvoice(
        self, request: pb.PayInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.PayInvoiceResponse:
        identity = current_identity()
        if request.transfer_reference and not (identity and identity.operator):
            raise PermissionDenied("only an operator marks an invoice paid by transfer")
        return self._audit.around(
            "PayInvoice",
            request,
            lambda: self._use.payments.pay(request),
            before=lambda: self._use.invoices.get(
                pb.GetInvoiceRequest(account_id=request.account_id, invoice_id=request.invoice_id)
            ),
            target=lambda _answer: request.invoice_id,
        )

    def IssueCreditNote(
        self, request: pb.IssueCreditNoteRequest, context: grpc.ServicerContext
    ) -> pb.IssueCreditNoteResponse:
        return self._audit.around(
            "IssueCreditNote",
            request,
            lambda: self._use.credit_notes.issue(request),
            target=lambda answer: answer.credit_note.invoice_id,
        )

    def AddPaymentMethod(
        self, request: pb.AddPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.AddPaymentMethodResponse:
        return self._audit.around(
            "AddPaymentMethod",
            request,
            lambda: self._use.payment_methods.add(request),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda answer: answer.payment_method.payment_method_id,
        )

    def ListPaymentMethods(
        self, request: pb.ListPaymentMethodsRequest, context: grpc.ServicerContext
    ) -> pb.ListPaymentMethodsResponse:
        return self._use.payment_methods.list(request)

    def SetDefaultPaymentMethod(
        self, request: pb.SetDefaultPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.SetDefaultPaymentMethodResponse:
        return self._audit.around(
            "SetDefaultPaymentMethod",
            request,
            lambda: self._use.payment_methods.set_default(request),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda _answer: request.payment_method_id,
        )

    def GetOrganization(
        self, request: pb.GetOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.GetOrganizationResponse:
        return self._use.organizations.get(request)

    def UpdateOrganization(
        self, request: pb.UpdateOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.UpdateOrganizationResponse:
        identity = current_identity()
        operator = identity is not None and identity.operator
        return self._audit.around(
            "UpdateOrganization",
            request,
            lambda: self._use.organizations.update(request, keep_tax_rate=not operator),
            before=lambda: self._use.organizations.get(
                pb.GetOrganizationRequest(account_id=request.account_id)
            ),
        )

    def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        entries, token = self._audit.list_messages(
            request.account_id, request.page_size, request.page_token
        )
        return pb.ListAuditEntriesResponse(entries=entries, next_page_token=token)


def _without_token(method: invoice_pb2.PaymentMethod) -> dict[str, Any]:
    """A payment method for the audit log: the provider's token stays out of it."""
    shown = invoice_pb2.PaymentMethod()
    shown.CopyFrom(method)
    shown.ClearField("provider_token")
    converted: dict[str, Any] = json_format.MessageToDict(shown, preserving_proto_field_name=True)
    return converted
