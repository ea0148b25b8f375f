"""Tax rules and organization details as the use cases take and answer them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CountryTaxRate:
    country: str
    rate_basis_points: int


@dataclass(frozen=True, slots=True)
class TaxConfiguration:
    """The issuer's rules, in the order they were set."""

    rates: tuple[CountryTaxRate, ...] = ()
    default_rate_basis_points: int = 0
    reverse_charge_countries: tuple[str, ...] = ()
    reverse_charge_note: str = ""


@dataclass(frozen=True, slots=True)
class SetTaxConfiguration:
    configuration: TaxConfiguration
    idempotency_key: str  # empty: a plain replace
    request_sha256: str


@dataclass(frozen=True, slots=True)
class AccountTaxStatus:
    account_id: str
    rate_basis_points: int
    note: str
    # What the organization details say; empty without them.
    treatment: str = ""
    exempt_reason: str = ""
    country: str = ""
    tax_id: str = ""
    pending_country: str = ""
    pending_tax_id: str = ""


@dataclass(frozen=True, slots=True)
class SetAccountTaxStatus:
    account_id: str
    treatment: str
    exempt_reason: str
    confirm_pending_change: bool


@dataclass(frozen=True, slots=True)
class Organization:
    """An account's stored organization details."""

    account_id: str
    business_name: str
    address: str
    tax_id: str
    billing_email: str
    country: str
    pending_country: str = ""
    pending_tax_id: str = ""
    has_pending_change: bool = False
    tax_treatment: str = ""
    exempt_reason: str = ""


@dataclass(frozen=True, slots=True)
class OrganizationDetails:
    """Organization details as shown: the rate applied, the pending change if any."""

    account_id: str
    business_name: str
    address: str
    tax_id: str
    billing_email: str
    tax_rate_basis_points: int
    country: str
    pending_country: str
    pending_tax_id: str


@dataclass(frozen=True, slots=True)
class UpdateOrganization:
    account_id: str
    business_name: str
    address: str
    tax_id: str
    billing_email: str
    country: str
    tax_rate_basis_points: int  # 0, or the rate the provider applies
    idempotency_key: str  # empty: a plain replace
    request_sha256: str
