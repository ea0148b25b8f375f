"""Tax and organization requests as commands, their fields checked."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.adapters.tax_records import configuration_of
from services.invoicing.domain import invoices, organizations, tax
from services.invoicing.entrypoints import request_guards
from services.invoicing.service.commands.tax import (
    SetAccountTaxStatus,
    SetTaxConfiguration,
    UpdateOrganization,
)

MAX_RATES = 300


def set_configuration(request: pb.SetTaxConfigurationRequest) -> SetTaxConfiguration:
    configuration = configuration_of(_checked(request.configuration))
    key = request.idempotency_key
    return SetTaxConfiguration(configuration, key, idempotency.fingerprint(request) if key else "")


def set_status(request: pb.SetAccountTaxStatusRequest) -> SetAccountTaxStatus:
    account_id = validation.require_id(request.account_id, "account_id")
    if request.treatment not in messages.TREATMENT_FROM_PB:
        raise InvalidArgument("treatment", f"unknown treatment {request.treatment}")
    treatment = messages.TREATMENT_FROM_PB[request.treatment]
    validation.text(request.exempt_reason, "exempt_reason", max_length=200)
    if treatment == tax.EXEMPT and not request.exempt_reason.strip():
        raise InvalidArgument("exempt_reason", "is required for an exempt account")
    if treatment != tax.EXEMPT and request.exempt_reason:
        raise InvalidArgument("exempt_reason", "only for an exempt account")
    idempotency.check_key(request.idempotency_key)
    return SetAccountTaxStatus(
        account_id, treatment, request.exempt_reason, request.confirm_pending_change
    )


def update_organization(request: pb.UpdateOrganizationRequest) -> UpdateOrganization:
    account_id = validation.require_id(request.account_id, "account_id")
    organization = request.organization
    _check_organization(organization)
    request_guards.no_card_numbers(request)
    key = request.idempotency_key
    return UpdateOrganization(
        account_id=account_id,
        business_name=organization.business_name.strip(),
        address=organization.address.strip(),
        tax_id=organization.tax_id.strip(),
        billing_email=organization.billing_email.strip(),
        country=organization.country,
        tax_rate_basis_points=organization.tax_rate_basis_points,
        idempotency_key=key,
        request_sha256=idempotency.fingerprint(request) if key else "",
    )


def _check_organization(organization: invoice_pb2.Organization) -> None:
    prefix = "organization."
    validation.text(
        organization.business_name, f"{prefix}business_name", required=True, max_length=200
    )
    validation.text(organization.address, f"{prefix}address", max_length=500)
    if organization.tax_id and not organizations.TAX_ID_PATTERN.match(organization.tax_id):
        raise InvalidArgument(
            f"{prefix}tax_id", "letters, digits, spaces and . / - only, at most 64"
        )
    if not organization.billing_email:
        raise InvalidArgument(f"{prefix}billing_email", "is required")
    if not organizations.valid_email(organization.billing_email):
        raise InvalidArgument(f"{prefix}billing_email", "is not an email address")
    if organization.pending_country or organization.pending_tax_id:
        raise InvalidArgument(f"{prefix}pending_country", "is output only")
    if organization.country and not organizations.COUNTRY_PATTERN.match(organization.country):
        raise InvalidArgument(f"{prefix}country", "must be an ISO 3166-1 alpha-2 code, e.g. IN")


def _checked(configuration: invoice_pb2.TaxConfiguration) -> invoice_pb2.TaxConfiguration:
    if len(configuration.rates) > MAX_RATES:
        raise InvalidArgument("configuration.rates", f"at most {MAX_RATES}")
    seen: set[str] = set()
    for index, rate in enumerate(configuration.rates):
        where = f"configuration.rates[{index}]"
        if not organizations.COUNTRY_PATTERN.match(rate.country):
            raise InvalidArgument(f"{where}.country", "must be an ISO 3166-1 alpha-2 code")
        if rate.country in seen:
            raise InvalidArgument(f"{where}.country", "is listed twice")
        seen.add(rate.country)
        _rate(rate.rate_basis_points, f"{where}.rate_basis_points")
    _rate(configuration.default_rate_basis_points, "configuration.default_rate_basis_points")
    if len(configuration.reverse_charge_countries) > MAX_RATES:
        raise InvalidArgument("configuration.reverse_charge_countries", f"at most {MAX_RATES}")
    for index, country in enumerate(configuration.reverse_charge_countries):
        if not organizations.COUNTRY_PATTERN.match(country):
            raise InvalidArgument(
                f"configuration.reverse_charge_countries[{index}]",
                "must be an ISO 3166-1 alpha-2 code",
            )
    validation.text(
        configuration.reverse_charge_note, "configuration.reverse_charge_note", max_length=300
    )
    return configuration


def _rate(value: int, field: str) -> None:
    if not 0 <= value <= invoices.MAX_TAX_RATE_BASIS_POINTS:
        raise InvalidArgument(field, "must be between 0 and 10000")
