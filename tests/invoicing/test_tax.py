"""Tax belongs to the provider: the issuer's rules and each account's treatment are set by
operators; the buyer's change of country or tax id waits for an operator when it would change
the tax; reverse charge and exemption print why."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import TIMEOUT_S, USD, field_of, partner_invoice, rpc_error


def configure(invoicing: Invoicing) -> None:
    invoicing.stub.SetTaxConfiguration(
        pb.SetTaxConfigurationRequest(
            configuration=invoice_pb2.TaxConfiguration(
                rates=[
                    invoice_pb2.CountryTaxRate(country="IN", rate_basis_points=1800),
                    invoice_pb2.CountryTaxRate(country="DE", rate_basis_points=1900),
                ],
                default_rate_basis_points=0,
                reverse_charge_countries=["DE", "FR"],
                reverse_charge_note="VAT reverse charge (Art. 196 VAT Directive)",
            )
        ),
        timeout=TIMEOUT_S,
    )


def organization(invoicing: Invoicing, country: str, tax_id: str = "") -> invoice_pb2.Organization:
    return invoicing.stub.UpdateOrganization(
        pb.UpdateOrganizationRequest(
            account_id="acme",
            organization=invoice_pb2.Organization(
                business_name="Acme GmbH",
                billing_email="billing@acme.example",
                country=country,
                tax_id=tax_id,
            ),
        ),
        timeout=TIMEOUT_S,
    ).organization


def status(invoicing: Invoicing) -> invoice_pb2.AccountTaxStatus:
    return invoicing.stub.GetAccountTaxStatus(
        pb.GetAccountTaxStatusRequest(account_id="acme"), timeout=TIMEOUT_S
    ).status


def test_a_change_that_would_lower_the_tax_waits_for_an_operator(invoicing: Invoicing) -> None:
    configure(invoicing)
    first = organization(invoicing, "IN")
    assert first.pending_country == "IN" and first.tax_rate_basis_points == 0
    invoicing.stub.SetAccountTaxStatus(
        pb.SetAccountTaxStatusRequest(account_id="acme", confirm_pending_change=True),
        timeout=TIMEOUT_S,
    )
    assert (status(invoicing).country, status(invoicing).rate_basis_points) == ("IN", 1800)
    # The buyer moves to Germany with a VAT id: reverse charge (no tax) waits for an operator.
    moved = organization(invoicing, "DE", "DE123456789")
    assert (moved.country, moved.pending_country, moved.pending_tax_id) == (
        "IN",
        "DE",
        "DE123456789",
    )
    assert moved.tax_rate_basis_points == 1800
    assert partner_invoice(invoicing.stub, "acme", "before").tax_rate_basis_points == 1800
    # A name change alone takes effect at once and keeps the change waiting.
    assert organization(invoicing, "DE", "DE123456789").business_name == "Acme GmbH"
    confirmed = invoicing.stub.SetAccountTaxStatus(
        pb.SetAccountTaxStatusRequest(account_id="acme", confirm_pending_change=True),
        timeout=TIMEOUT_S,
    ).status
    assert (confirmed.country, confirmed.rate_basis_points) == ("DE", 0)
    assert confirmed.note == "VAT reverse charge (Art. 196 VAT Directive)"
    invoice = partner_invoice(invoicing.stub, "acme", "after", channels=1, price_micros=10 * USD)
    assert (invoice.tax_rate_basis_points, invoice.tax.amount_micros) == (0, 0)
    assert invoice.tax_note == "VAT reverse charge (Art. 196 VAT Directive)"


def test_an_exempt_account_says_why_and_the_buyer_cannot_set_a_rate(invoicing: Invoicing) -> None:
    configure(invoicing)
    organization(invoicing, "")
    missing_reason = rpc_error(
        invoicing.stub.SetAccountTaxStatus,
        pb.SetAccountTaxStatusRequest(
            account_id="acme", treatment=invoice_pb2.TAX_TREATMENT_EXEMPT
        ),
    )
    assert field_of(missing_reason) == "exempt_reason"
    invoicing.stub.SetAccountTaxStatus(
        pb.SetAccountTaxStatusRequest(
            account_id="acme",
            treatment=invoice_pb2.TAX_TREATMENT_EXEMPT,
            exempt_reason="charity under section 12A",
        ),
        timeout=TIMEOUT_S,
    )
    invoice = partner_invoice(invoicing.stub, "acme", "exempt", channels=1)
    assert invoice.tax_note == "Exempt from tax: charity under section 12A"
    lowered = rpc_error(
        invoicing.stub.UpdateOrganization,
        pb.UpdateOrganizationRequest(
            account_id="acme",
            organization=invoice_pb2.Organization(
                business_name="Acme",
                billing_email="billing@acme.example",
                tax_rate_basis_points=1,
            ),
        ),
    )
    assert field_of(lowered) == "organization.tax_rate_basis_points"
    bad = rpc_error(
        invoicing.stub.SetTaxConfiguration,
        pb.SetTaxConfigurationRequest(
            configuration=invoice_pb2.TaxConfiguration(
                rates=[invoice_pb2.CountryTaxRate(country="india", rate_basis_points=1800)]
            )
        ),
    )
    assert field_of(bad) == "configuration.rates[0].country"
