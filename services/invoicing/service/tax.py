"""The issuer's tax rules and each account's tax status: set by operators only, apart from the
organization details the buyer edits. Issuing reads them for every new invoice."""

from __future__ import annotations

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.domain import tax
from services.invoicing.service.commands.tax import (
    AccountTaxStatus,
    Organization,
    SetAccountTaxStatus,
    SetTaxConfiguration,
    TaxConfiguration,
)
from services.invoicing.service.ports.billing import BillingWork, BillingWorks


def rules(configuration: TaxConfiguration | None) -> tax.TaxRules:
    """The issuer's rules; an issuer that configured none charges no tax."""
    if configuration is None:
        return tax.TaxRules()
    return tax.TaxRules(
        rates={rate.country: rate.rate_basis_points for rate in configuration.rates},
        default_rate_basis_points=configuration.default_rate_basis_points,
        reverse_charge_countries=frozenset(configuration.reverse_charge_countries),
        reverse_charge_note=configuration.reverse_charge_note,
    )


def buyer(organization: Organization | None) -> tax.Buyer:
    if organization is None:
        return tax.Buyer(country="", tax_id="")
    return tax.Buyer(
        organization.country,
        organization.tax_id,
        organization.tax_treatment,
        organization.exempt_reason,
    )


class TaxSettings:
    def __init__(self, works: BillingWorks, issuer_id: str, clock: Clock) -> None:
        self._works = works
        self._issuer_id = issuer_id
        self._clock = clock

    def get_configuration(self) -> TaxConfiguration:
        with self._works() as work:
            return work.tax.configuration(self._issuer_id) or TaxConfiguration()

    def set_configuration(self, command: SetTaxConfiguration) -> TaxConfiguration:
        updated_at = moment(self._clock)
        with self._works() as work:

            def save() -> TaxConfiguration:
                work.tax.save_configuration(self._issuer_id, command.configuration, updated_at)
                return command.configuration

            if not command.idempotency_key:
                saved = save()  # a PUT: the same request again changes nothing
            else:
                saved = replies.once(
                    work.tax_configured,
                    "SetTaxConfiguration",
                    command.idempotency_key,
                    command.request_sha256,
                    save,
                )
            work.commit()
        return saved

    def get_status(self, account_id: str) -> AccountTaxStatus:
        with self._works() as work:
            return self.status(work, account_id)

    def set_status(self, command: SetAccountTaxStatus) -> AccountTaxStatus:
        with self._works() as work:
            organization = work.organizations.get(command.account_id)
            if organization is None:
                raise NotFound("no organization details for this account yet", "account_id")
            if command.confirm_pending_change and not organization.has_pending_change:
                raise FailedPrecondition("no change is waiting", "confirm_pending_change")
            work.organizations.set_treatment(
                command.account_id,
                command.treatment,
                command.exempt_reason.strip(),
                moment(self._clock),
                organization if command.confirm_pending_change else None,
            )
            status = self.status(work, command.account_id)
            work.commit()
        return status

    def status(self, work: BillingWork, account_id: str) -> AccountTaxStatus:
        organization = work.organizations.get(account_id)
        applied = tax.applied(rules(work.tax.configuration(self._issuer_id)), buyer(organization))
        if organization is None:
            return AccountTaxStatus(account_id, applied.rate_basis_points, applied.note)
        pending = organization.has_pending_change
        return AccountTaxStatus(
            account_id=account_id,
            rate_basis_points=applied.rate_basis_points,
            note=applied.note,
            treatment=organization.tax_treatment,
            exempt_reason=organization.exempt_reason,
            country=organization.country,
            tax_id=organization.tax_id,
            pending_country=organization.pending_country if pending else "",
            pending_tax_id=organization.pending_tax_id if pending else "",
        )
