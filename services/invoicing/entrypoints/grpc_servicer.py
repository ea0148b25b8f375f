"""gRPC entrypoint of invoicing: translate requests, hand them to the use cases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc
from google.api import httpbody_pb2

from services.invoicing.service import (
    billing_cycle,
    credit_notes,
    funding_switch,
    fundings,
    invoices,
    organizations,
    partner_contracts,
    partner_days,
    payment_events,
    payment_methods,
    payments,
    plans,
    receipts,
    subscriptions,
    tax,
)

PDF_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class UseCases:
    plans: plans.Plans
    subscriptions: subscriptions.Subscriptions
    billing: billing_cycle.BillingCycle
    receipts: receipts.Receipts
    partner_days: partner_days.PartnerDays
    partner_contracts: partner_contracts.PartnerContracts
    credit_notes: credit_notes.CreditNotes
    invoices: invoices.Invoices
    payments: payments.Payments
    payment_methods: payment_methods.PaymentMethods
    organizations: organizations.Organizations
    fundings: fundings.Fundings
    payment_events: payment_events.PaymentEvents
    tax: tax.TaxSettings
    funding: funding_switch.FundingSwitch


class InvoicingServicer(pb_grpc.InvoicingServiceServicer):
    def __init__(self, use_cases: UseCases) -> None:
        self._use = use_cases

    def CreatePlan(
        self, request: pb.CreatePlanRequest, context: grpc.ServicerContext
    ) -> pb.CreatePlanResponse:
        return self._use.plans.create(request)

    def ListPlans(
        self, request: pb.ListPlansRequest, context: grpc.ServicerContext
    ) -> pb.ListPlansResponse:
        return self._use.plans.list(request)

    def GetPlan(
        self, request: pb.GetPlanRequest, context: grpc.ServicerContext
    ) -> pb.GetPlanResponse:
        return self._use.plans.get(request)

    def ChangeFundingMode(
        self, request: pb.ChangeFundingModeRequest, context: grpc.ServicerContext
    ) -> pb.ChangeFundingModeResponse:
        return self._use.funding.change(request)

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        return self._use.subscriptions.create(request)

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
        return self._use.subscriptions.cancel(request)

    def RunBillingCycle(
        self, request: pb.RunBillingCycleRequest, context: grpc.ServicerContext
    ) -> pb.RunBillingCycleResponse:
        return self._use.billing.run(request)

    def CreateTopUpReceipt(
        self, request: pb.CreateTopUpReceiptRequest, context: grpc.ServicerContext
    ) -> pb.CreateTopUpReceiptResponse:
        return self._use.receipts.create(request)

    def CreatePartnerDaysInvoice(
        self, request: pb.CreatePartnerDaysInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.CreatePartnerDaysInvoiceResponse:
        return self._use.partner_days.create(request)

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
        return self._use.payments.pay(request)

    def IssueCreditNote(
        self, request: pb.IssueCreditNoteRequest, context: grpc.ServicerContext
    ) -> pb.IssueCreditNoteResponse:
        return self._use.credit_notes.issue(request)

    def AddPaymentMethod(
        self, request: pb.AddPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.AddPaymentMethodResponse:
        return self._use.payment_methods.add(request)

    def ListPaymentMethods(
        self, request: pb.ListPaymentMethodsRequest, context: grpc.ServicerContext
    ) -> pb.ListPaymentMethodsResponse:
        return self._use.payment_methods.list(request)

    def SetDefaultPaymentMethod(
        self, request: pb.SetDefaultPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.SetDefaultPaymentMethodResponse:
        return self._use.payment_methods.set_default(request)

    def GetOrganization(
        self, request: pb.GetOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.GetOrganizationResponse:
        return self._use.organizations.get(request)

    def UpdateOrganization(
        self, request: pb.UpdateOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.UpdateOrganizationResponse:
        return self._use.organizations.update(request)

    def StartCardSetup(
        self, request: pb.StartCardSetupRequest, context: grpc.ServicerContext
    ) -> pb.StartCardSetupResponse:
        return self._use.payment_methods.start_setup(request)

    def QuoteFunds(
        self, request: pb.QuoteFundsRequest, context: grpc.ServicerContext
    ) -> pb.QuoteFundsResponse:
        return self._use.fundings.quote(request)

    def AddFunds(
        self, request: pb.AddFundsRequest, context: grpc.ServicerContext
    ) -> pb.AddFundsResponse:
        return self._use.fundings.add(request)

    def GetFunding(
        self, request: pb.GetFundingRequest, context: grpc.ServicerContext
    ) -> pb.GetFundingResponse:
        return self._use.fundings.get(request)

    def ListFundings(
        self, request: pb.ListFundingsRequest, context: grpc.ServicerContext
    ) -> pb.ListFundingsResponse:
        return self._use.fundings.list(request)

    def HandlePaymentEvent(
        self, request: pb.HandlePaymentEventRequest, context: grpc.ServicerContext
    ) -> pb.HandlePaymentEventResponse:
        return self._use.payment_events.handle(request)

    def EstimateFundsNeeded(
        self, request: pb.EstimateFundsNeededRequest, context: grpc.ServicerContext
    ) -> pb.EstimateFundsNeededResponse:
        return self._use.fundings.estimate(request)

    def SetPartnerContract(
        self, request: pb.SetPartnerContractRequest, context: grpc.ServicerContext
    ) -> pb.SetPartnerContractResponse:
        return self._use.partner_contracts.set(request)

    def GetPartnerContract(
        self, request: pb.GetPartnerContractRequest, context: grpc.ServicerContext
    ) -> pb.GetPartnerContractResponse:
        return self._use.partner_contracts.get(request)

    def GetTaxConfiguration(
        self, request: pb.GetTaxConfigurationRequest, context: grpc.ServicerContext
    ) -> pb.GetTaxConfigurationResponse:
        return self._use.tax.get_configuration(request)

    def SetTaxConfiguration(
        self, request: pb.SetTaxConfigurationRequest, context: grpc.ServicerContext
    ) -> pb.SetTaxConfigurationResponse:
        return self._use.tax.set_configuration(request)

    def GetAccountTaxStatus(
        self, request: pb.GetAccountTaxStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountTaxStatusResponse:
        return self._use.tax.get_status(request)

    def SetAccountTaxStatus(
        self, request: pb.SetAccountTaxStatusRequest, context: grpc.ServicerContext
    ) -> pb.SetAccountTaxStatusResponse:
        return self._use.tax.set_status(request)
