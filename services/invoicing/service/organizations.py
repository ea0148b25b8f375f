"""Organization details: business name, address, tax id, billing email and tax rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.errors import InvalidArgument, NotFound
from services.invoicing.adapters import tables
from services.invoicing.domain import invoices, organizations
from services.invoicing.service import guards
from services.invoicing.service.settings import Clock


class Organizations:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, request: pb.GetOrganizationRequest) -> pb.GetOrganizationResponse:
        validation.require_id(request.account_id, "account_id")
        table = tables.organizations
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(table).where(table.c.account_id == request.account_id)
            ).first()
        if row is None:
            raise NotFound("no organization details for this account yet", "account_id")
        return pb.GetOrganizationResponse(organization=_message(row._mapping))

    def update(
        self, request: pb.UpdateOrganizationRequest, keep_tax_rate: bool = False
    ) -> pb.UpdateOrganizationResponse:
        """Replace the details; invoices already issued keep the details printed on them.

        keep_tax_rate: the customer edits its details, the tax rate stays the provider's
        (the request must not set one)."""
        account_id = validation.require_id(request.account_id, "account_id")
        values = _validated(request.organization)
        if keep_tax_rate and request.organization.tax_rate_basis_points:
            raise InvalidArgument(
                "organization.tax_rate_basis_points", "tax rates are set by the provider"
            )
        values["update_time"] = self._clock()
        guards.no_card_numbers(request)
        table = tables.organizations

        # A customer's update leaves the stored tax rate as it is (a new one starts at 0).
        updated = {k: v for k, v in values.items() if k != "tax_rate_basis_points"}

        def save() -> pb.UpdateOrganizationResponse:
            changed = connection.execute(
                table.update()
                .where(table.c.account_id == account_id)
                .values(**(updated if keep_tax_rate else values))
            ).rowcount
            if not changed:
                connection.execute(table.insert().values(account_id=account_id, **values))
            row = connection.execute(sa.select(table).where(table.c.account_id == account_id))
            return pb.UpdateOrganizationResponse(organization=_message(row.mappings().one()))

        with self._engine.begin() as connection:
            if not request.idempotency_key:
                return save()  # a plain replace is idempotent by itself
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "UpdateOrganization",
                request.idempotency_key,
                request,
                pb.UpdateOrganizationResponse,
                save,
            )


def _validated(organization: invoice_pb2.Organization) -> dict[str, object]:
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
    rate = organization.tax_rate_basis_points
    if not 0 <= rate <= invoices.MAX_TAX_RATE_BASIS_POINTS:
        raise InvalidArgument(f"{prefix}tax_rate_basis_points", "must be between 0 and 10000")
    if organization.country and not organizations.COUNTRY_PATTERN.match(organization.country):
        raise InvalidArgument(f"{prefix}country", "must be an ISO 3166-1 alpha-2 code, e.g. IN")
    return {
        "business_name": organization.business_name.strip(),
        "address": organization.address.strip(),
        "tax_id": organization.tax_id.strip(),
        "billing_email": organization.billing_email.strip(),
        "tax_rate_basis_points": rate,
        "country": organization.country,
    }


def _message(row: Mapping[Any, Any]) -> invoice_pb2.Organization:
    return invoice_pb2.Organization(
        account_id=row["account_id"],
        business_name=row["business_name"],
        address=row["address"],
        tax_id=row["tax_id"],
        billing_email=row["billing_email"],
        tax_rate_basis_points=row["tax_rate_basis_points"],
        country=row["country"],
    )
