"""Organization details the buyer edits: business name, address, billing email, and its
country and tax id. A change of country or tax id that would change the tax applied waits
(pending_*) until an operator confirms it (SetAccountTaxStatus); the tax itself is the
provider's (service/tax.py), never the buyer's."""

from __future__ import annotations

from dataclasses import replace

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import InvalidArgument, NotFound
from services.invoicing.domain import tax as tax_rules
from services.invoicing.service import tax
from services.invoicing.service.commands.tax import (
    Organization,
    OrganizationDetails,
    UpdateOrganization,
)
from services.invoicing.service.ports.billing import BillingWork, BillingWorks


class Organizations:
    def __init__(self, works: BillingWorks, clock: Clock, issuer_id: str) -> None:
        self._works = works
        self._clock = clock
        self._issuer_id = issuer_id

    def get(self, account_id: str) -> OrganizationDetails:
        with self._works() as work:
            organization = work.organizations.get(account_id)
            if organization is None:
                raise NotFound("no organization details for this account yet", "account_id")
            return _details(organization, self._rate(work, organization))

    def update(self, command: UpdateOrganization) -> OrganizationDetails:
        """Replace the details; invoices already issued keep the details printed on them."""
        update_time = moment(self._clock)
        with self._works() as work:

            def save() -> OrganizationDetails:
                before = work.organizations.get(command.account_id)
                asked = self._with_tax_fields(work, before, command)
                work.organizations.save(asked, update_time, new=before is None)
                saved = work.organizations.get(command.account_id)
                if saved is None:
                    raise NotFound("organization details vanished", "account_id")
                rate = self._rate(work, saved)
                if command.tax_rate_basis_points not in (0, rate):
                    raise InvalidArgument(
                        "organization.tax_rate_basis_points",
                        "is set by the provider's tax configuration; leave it out",
                    )
                return _details(saved, rate)

            if not command.idempotency_key:
                details = save()  # a plain replace is idempotent by itself
            else:
                details = replies.once(
                    work.organizations_updated,
                    "UpdateOrganization",
                    command.idempotency_key,
                    command.request_sha256,
                    save,
                )
            work.commit()
        return details

    def _with_tax_fields(
        self, work: BillingWork, before: Organization | None, command: UpdateOrganization
    ) -> Organization:
        """Country and tax id now when the tax applied stays the same, else pending."""
        asked = Organization(
            account_id=command.account_id,
            business_name=command.business_name,
            address=command.address,
            tax_id=command.tax_id,
            billing_email=command.billing_email,
            country=command.country,
        )
        rules = tax.rules(work.tax.configuration(self._issuer_id))
        current = tax.buyer(before)
        wanted = tax_rules.Buyer(
            command.country, command.tax_id, current.treatment, current.exempt_reason
        )
        unchanged = (wanted.country, wanted.tax_id) == (current.country, current.tax_id)
        if unchanged or tax_rules.applied(rules, wanted) == tax_rules.applied(rules, current):
            return asked
        return replace(
            asked,
            country=current.country,
            tax_id=current.tax_id,
            pending_country=wanted.country,
            pending_tax_id=wanted.tax_id,
            has_pending_change=True,
        )

    def _rate(self, work: BillingWork, organization: Organization) -> int:
        rules = tax.rules(work.tax.configuration(self._issuer_id))
        return tax_rules.applied(rules, tax.buyer(organization)).rate_basis_points


def _details(organization: Organization, rate: int) -> OrganizationDetails:
    pending = organization.has_pending_change
    return OrganizationDetails(
        account_id=organization.account_id,
        business_name=organization.business_name,
        address=organization.address,
        tax_id=organization.tax_id,
        billing_email=organization.billing_email,
        tax_rate_basis_points=rate,
        country=organization.country,
        pending_country=organization.pending_country if pending else "",
        pending_tax_id=organization.pending_tax_id if pending else "",
    )
