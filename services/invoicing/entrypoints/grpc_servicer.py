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

from services.common import validation
from services.common.audit import AuditLog
from services.common.errors import PermissionDenied
from services.common.service_auth import current_identity
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.adapters import invoice_messages
from services.invoicing.adapters import invoice_payment_messages as payment_messages
from services.invoicing.entrypoints import (
    billing_requests,
    invoice_requests,
    partner_requests,
    payment_requests,
    tax_requests,
)
from services.invoicing.entrypoints import payment_responses as responses
from services.invoicing.service import (
    billing_cycle,
    credit_notes,
    fund_quotes,
    funding_switch,
    fundings,
    invoice_reading,
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
from services.invoicing.service.commands.payments import ProviderDelivery

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
    invoices: invoice_reading.Invoices
    payments: payments.Payments
    payment_methods: payment_methods.PaymentMethods
    organizations: organizations.Organizations
    fundings: fundings.Fundings
    fund_quotes: fund_quotes.FundQuotes
    payment_events: payment_events.PaymentEvents
    tax: tax.TaxSettings
    funding: funding_switch.FundingSwitch


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
            lambda: pb.CreatePlanResponse(
                plan=messages.plan(self._use.plans.create(billing_requests.create_plan(request)))
            ),
            target=lambda answer: answer.plan.plan_id,
        )

    def ListPlans(
        self, request: pb.ListPlansRequest, context: grpc.ServicerContext
    ) -> pb.ListPlansResponse:
        page = billing_requests.page(request.page_size, request.page_token)
        plans = self._use.plans.list(page)
        return pb.ListPlansResponse(
            plans=[messages.plan(plan) for plan in plans],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(plans)),
        )

    def GetPlan(
        self, request: pb.GetPlanRequest, context: grpc.ServicerContext
    ) -> pb.GetPlanResponse:
        validation.require_id(request.plan_id, "plan_id")
        return pb.GetPlanResponse(plan=messages.plan(self._use.plans.get(request.plan_id)))

    def ChangeFundingMode(
        self, request: pb.ChangeFundingModeRequest, context: grpc.ServicerContext
    ) -> pb.ChangeFundingModeResponse:
        return self._audit.around(
            "ChangeFundingMode",
            request,
            lambda: pb.ChangeFundingModeResponse(
                effective_date=self._use.funding.change(
                    payment_requests.change_funding(request)
                ).isoformat()
            ),
        )

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        return self._audit.around(
            "CreateSubscription",
            request,
            lambda: pb.CreateSubscriptionResponse(
                subscription=messages.subscription(
                    self._use.subscriptions.create(billing_requests.create_subscription(request))
                )
            ),
            target=lambda answer: answer.subscription.subscription_id,
        )

    def GetSubscription(
        self, request: pb.GetSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.GetSubscriptionResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        subscription_id = validation.require_id(request.subscription_id, "subscription_id")
        shown = self._use.subscriptions.get(account_id, subscription_id)
        return pb.GetSubscriptionResponse(subscription=messages.subscription(shown))

    def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSubscriptionsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        page = billing_requests.page(request.page_size, request.page_token)
        shown = self._use.subscriptions.list(account_id, page)
        return pb.ListSubscriptionsResponse(
            subscriptions=[messages.subscription(subscription) for subscription in shown],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(shown)),
        )

    def CancelSubscription(
        self, request: pb.CancelSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CancelSubscriptionResponse:
        return self._audit.around(
            "CancelSubscription",
            request,
            lambda: pb.CancelSubscriptionResponse(
                subscription=messages.subscription(
                    self._use.subscriptions.cancel(billing_requests.cancel_subscription(request))
                )
            ),
            before=lambda: self.GetSubscription(
                pb.GetSubscriptionRequest(
                    account_id=request.account_id, subscription_id=request.subscription_id
                ),
                context,
            ),
            target=lambda _answer: request.subscription_id,
        )

    def RunBillingCycle(
        self, request: pb.RunBillingCycleRequest, context: grpc.ServicerContext
    ) -> pb.RunBillingCycleResponse:
        return self._audit.around(
            "RunBillingCycle",
            request,
            lambda: invoice_requests.cycle_response(
                self._use.billing.run(invoice_requests.run_billing_cycle(request))
            ),
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
            lambda: pb.CreateTopUpReceiptResponse(
                invoice=invoice_messages.invoice(
                    self._use.receipts.issue(payment_requests.top_up_receipt(request))
                )
            ),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def CreatePartnerDaysInvoice(
        self, request: pb.CreatePartnerDaysInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.CreatePartnerDaysInvoiceResponse:
        return self._audit.around(
            "CreatePartnerDaysInvoice",
            request,
            lambda: pb.CreatePartnerDaysInvoiceResponse(
                invoice=invoice_messages.invoice(
                    self._use.partner_days.create(invoice_requests.create_partner_days(request))
                )
            ),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def ListInvoices(
        self, request: pb.ListInvoicesRequest, context: grpc.ServicerContext
    ) -> pb.ListInvoicesResponse:
        validation.require_id(request.account_id, "account_id")
        wanted = invoice_requests.invoice_filter(request)
        page = billing_requests.page(request.page_size, request.page_token)
        found = self._use.invoices.list(request.account_id, wanted, page)
        return pb.ListInvoicesResponse(
            invoices=[invoice_messages.invoice(invoice) for invoice in found],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(found)),
        )

    def GetInvoice(
        self, request: pb.GetInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.GetInvoiceResponse:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        found = self._use.invoices.get(request.account_id, request.invoice_id)
        return pb.GetInvoiceResponse(invoice=invoice_messages.invoice(found))

    def DownloadInvoicePdf(
        self, request: pb.DownloadInvoicePdfRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadInvoicePdfResponse]:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        for chunk in self._use.invoices.pdf_chunks(request.account_id, request.invoice_id):
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
            lambda: payment_messages.invoice_paid(
                self._use.payments.pay(payment_requests.pay_invoice(request))
            ),
            before=lambda: self.GetInvoice(
                pb.GetInvoiceRequest(account_id=request.account_id, invoice_id=request.invoice_id),
                context,
            ),
            target=lambda _answer: request.invoice_id,
        )

    def IssueCreditNote(
        self, request: pb.IssueCreditNoteRequest, context: grpc.ServicerContext
    ) -> pb.IssueCreditNoteResponse:
        return self._audit.around(
            "IssueCreditNote",
            request,
            lambda: pb.IssueCreditNoteResponse(
                credit_note=invoice_messages.invoice(
                    self._use.credit_notes.issue(invoice_requests.issue_credit_note(request))
                )
            ),
            target=lambda answer: answer.credit_note.invoice_id,
        )

    def AddPaymentMethod(
        self, request: pb.AddPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.AddPaymentMethodResponse:
        return self._audit.around(
            "AddPaymentMethod",
            request,
            lambda: responses.card_added(
                self._use.payment_methods.add(payment_requests.add_card(request))
            ),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda answer: answer.payment_method.payment_method_id,
        )

    def ListPaymentMethods(
        self, request: pb.ListPaymentMethodsRequest, context: grpc.ServicerContext
    ) -> pb.ListPaymentMethodsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        return responses.cards_listed(self._use.payment_methods.list(account_id))

    def SetDefaultPaymentMethod(
        self, request: pb.SetDefaultPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.SetDefaultPaymentMethodResponse:
        return self._audit.around(
            "SetDefaultPaymentMethod",
            request,
            lambda: responses.default_set(
                self._use.payment_methods.set_default(payment_requests.set_default(request))
            ),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda _answer: request.payment_method_id,
        )

    def RemovePaymentMethod(
        self, request: pb.RemovePaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.RemovePaymentMethodResponse:
        return self._audit.around(
            "RemovePaymentMethod",
            request,
            lambda: responses.card_removed(
                self._use.payment_methods.remove(payment_requests.remove_card(request))
            ),
            before=lambda: _without_token(
                responses.card_message(
                    self._use.payment_methods.get(*payment_requests.card_of(request))
                )
            ),
            after=lambda _answer: {"removed": True},
            target=lambda _answer: request.payment_method_id,
        )

    def GetOrganization(
        self, request: pb.GetOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.GetOrganizationResponse:
        validation.require_id(request.account_id, "account_id")
        details = self._use.organizations.get(request.account_id)
        return pb.GetOrganizationResponse(organization=messages.organization(details))

    def UpdateOrganization(
        self, request: pb.UpdateOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.UpdateOrganizationResponse:
        return self._audit.around(
            "UpdateOrganization",
            request,
            lambda: pb.UpdateOrganizationResponse(
                organization=messages.organization(
                    self._use.organizations.update(tax_requests.update_organization(request))
                )
            ),
            before=lambda: self.GetOrganization(
                pb.GetOrganizationRequest(account_id=request.account_id), context
            ),
        )

    def StartCardSetup(
        self, request: pb.StartCardSetupRequest, context: grpc.ServicerContext
    ) -> pb.StartCardSetupResponse:
        return self._audit.around(
            "StartCardSetup",
            request,
            lambda: responses.setup_started(
                self._use.payment_methods.start_setup(*payment_requests.card_setup(request))
            ),
            # The client secret finishes the setup in the browser: never in the log.
            after=lambda answer: {"setup_id": answer.setup_id},
        )

    def QuoteFunds(
        self, request: pb.QuoteFundsRequest, context: grpc.ServicerContext
    ) -> pb.QuoteFundsResponse:
        quote = self._use.fund_quotes.quote(payment_requests.quote_funds(request))
        return responses.funds_quoted(quote)

    def AddFunds(
        self, request: pb.AddFundsRequest, context: grpc.ServicerContext
    ) -> pb.AddFundsResponse:
        return self._audit.around(
            "AddFunds",
            request,
            lambda: pb.AddFundsResponse(
                funding=responses.funding_message(
                    self._use.fundings.add(payment_requests.add_funds(request))
                )
            ),
            after=lambda answer: _without_secrets(answer),
        )

    def GetFunding(
        self, request: pb.GetFundingRequest, context: grpc.ServicerContext
    ) -> pb.GetFundingResponse:
        funding = self._use.fundings.get(*payment_requests.funding_of(request))
        return pb.GetFundingResponse(funding=responses.funding_message(funding))

    def ListFundings(
        self, request: pb.ListFundingsRequest, context: grpc.ServicerContext
    ) -> pb.ListFundingsResponse:
        account_id, limit, offset = payment_requests.fundings_page(request)
        page = self._use.fundings.list(account_id, limit, offset)
        return responses.fundings_listed(page, offset, limit)

    def HandlePaymentEvent(
        self, request: pb.HandlePaymentEventRequest, context: grpc.ServicerContext
    ) -> pb.HandlePaymentEventResponse:
        # The provider's acts are recorded, per account, as the event is acted on.
        delivery = ProviderDelivery(request.provider, request.payload, request.signature)
        handled = self._use.payment_events.handle(delivery)
        return pb.HandlePaymentEventResponse(
            event_id=handled.event_id, kind=handled.kind, duplicate=handled.duplicate
        )

    def EstimateFundsNeeded(
        self, request: pb.EstimateFundsNeededRequest, context: grpc.ServicerContext
    ) -> pb.EstimateFundsNeededResponse:
        estimate = self._use.fund_quotes.estimate(payment_requests.estimate_funds(request))
        return responses.funds_estimated(estimate)

    def SetPartnerContract(
        self, request: pb.SetPartnerContractRequest, context: grpc.ServicerContext
    ) -> pb.SetPartnerContractResponse:
        return self._audit.around(
            "SetPartnerContract",
            request,
            lambda: pb.SetPartnerContractResponse(
                contract=messages.contract(
                    self._use.partner_contracts.set(partner_requests.set_contract(request))
                )
            ),
            before=lambda: self.GetPartnerContract(
                pb.GetPartnerContractRequest(account_id=request.account_id), context
            ),
        )

    def GetPartnerContract(
        self, request: pb.GetPartnerContractRequest, context: grpc.ServicerContext
    ) -> pb.GetPartnerContractResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        terms = self._use.partner_contracts.get(account_id)
        return pb.GetPartnerContractResponse(contract=messages.contract(terms))

    def GetTaxConfiguration(
        self, request: pb.GetTaxConfigurationRequest, context: grpc.ServicerContext
    ) -> pb.GetTaxConfigurationResponse:
        configuration = messages.configuration_message(self._use.tax.get_configuration())
        return pb.GetTaxConfigurationResponse(configuration=configuration)

    def SetTaxConfiguration(
        self, request: pb.SetTaxConfigurationRequest, context: grpc.ServicerContext
    ) -> pb.SetTaxConfigurationResponse:
        return self._audit.around(
            "SetTaxConfiguration",
            request,
            lambda: pb.SetTaxConfigurationResponse(
                configuration=messages.configuration_message(
                    self._use.tax.set_configuration(tax_requests.set_configuration(request))
                )
            ),
            before=lambda: self.GetTaxConfiguration(pb.GetTaxConfigurationRequest(), context),
        )

    def GetAccountTaxStatus(
        self, request: pb.GetAccountTaxStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountTaxStatusResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        status = self._use.tax.get_status(account_id)
        return pb.GetAccountTaxStatusResponse(status=messages.tax_status(status))

    def SetAccountTaxStatus(
        self, request: pb.SetAccountTaxStatusRequest, context: grpc.ServicerContext
    ) -> pb.SetAccountTaxStatusResponse:
        return self._audit.around(
            "SetAccountTaxStatus",
            request,
            lambda: pb.SetAccountTaxStatusResponse(
                status=messages.tax_status(
                    self._use.tax.set_status(tax_requests.set_status(request))
                )
            ),
            before=lambda: self.GetAccountTaxStatus(
                pb.GetAccountTaxStatusRequest(account_id=request.account_id), context
            ),
        )

    def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        entries, token = self._audit.list_messages(
            request.account_id, request.page_size, request.page_token
        )
        return pb.ListAuditEntriesResponse(entries=entries, next_page_token=token)


def _without_secrets(message: Any) -> dict[str, Any]:
    """A message for the audit log, every field named like a secret left out."""
    converted: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return _redacted(converted)


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _redacted(item)
            for key, item in value.items()
            if "secret" not in key and "token" not in key
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _without_token(method: invoice_pb2.PaymentMethod) -> dict[str, Any]:
    """A payment method for the audit log: the provider's token stays out of it."""
    shown = invoice_pb2.PaymentMethod()
    shown.CopyFrom(method)
    shown.ClearField("provider_token")
    converted: dict[str, Any] = json_format.MessageToDict(shown, preserving_proto_field_name=True)
    return converted
