"""gRPC handlers of invoicing: organizations, partner contracts, tax and the audit log."""

from __future__ import annotations

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import validation
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.entrypoints import partner_requests, tax_requests
from services.invoicing.entrypoints.use_cases import Handlers


class AccountHandlers(Handlers):
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
