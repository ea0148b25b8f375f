"""Organization details the buyer edits: business name, address, billing email, and its
country and tax id. A change of country or tax id that would change the tax applied waits
(pending_*) until an operator confirms it (SetAccountTaxStatus); the tax itself is the
provider's (service/tax.py), never the buyer's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.errors import InvalidArgument, NotFound
from services.invoicing.adapters import tables
from services.invoicing.domain import organizations
from services.invoicing.domain import tax as tax_rules
from services.invoicing.service import guards, tax
from services.invoicing.service.settings import Clock


class Organizations:
    def __init__(self, engine: Engine, clock: Clock, issuer_id: str) -> None:
        self._engine = engine
        self._clock = clock
        self._issuer_id = issuer_id

    def get(self, request: pb.GetOrganizationRequest) -> pb.GetOrganizationResponse:
        validation.require_id(request.account_id, "account_id")
        table = tables.organizations
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(table).where(table.c.account_id == request.account_id)
            ).first()
            if row is None:
                raise NotFound("no organization details for this account yet", "account_id")
            rate = self._rate(connection, row._mapping)
        return pb.GetOrganizationResponse(organization=_message(row._mapping, rate))

    def update(self, request: pb.UpdateOrganizationRequest) -> pb.UpdateOrganizationResponse:
        """Replace the details; invoices already issued keep the details printed on them."""
        account_id = validation.require_id(request.account_id, "account_id")
        values = _validated(request.organization)
        values["update_time"] = self._clock()
        guards.no_card_numbers(request)
        table = tables.organizations

        def save() -> pb.UpdateOrganizationResponse:
            before = tax.organization_row(connection, account_id)
            asked_rate = values.pop("tax_rate_basis_points")
            values.update(self._tax_fields(connection, before, values))
            if before is None:
                connection.execute(
                    table.insert().values(account_id=account_id, tax_rate_basis_points=0, **values)
                )
            else:
                connection.execute(
                    table.update().where(table.c.account_id == account_id).values(**values)
                )
            row = tax.organization_row(connection, account_id)
            if row is None:
                raise NotFound("organization details vanished", "account_id")
            rate = self._rate(connection, row)
            if asked_rate not in (0, rate):
                raise InvalidArgument(
                    "organization.tax_rate_basis_points",
                    "is set by the provider's tax configuration; leave it out",
                )
            return pb.UpdateOrganizationResponse(organization=_message(row, rate))

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

    def _tax_fields(
        self, connection: Connection, before: Mapping[Any, Any] | None, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Country and tax id now when the tax applied stays the same, else pending."""
        rules = tax.rules(connection, self._issuer_id)
        current = tax.buyer(before)
        asked = tax_rules.Buyer(
            values["country"], values["tax_id"], current.treatment, current.exempt_reason
        )
        unchanged = (asked.country, asked.tax_id) == (current.country, current.tax_id)
        if unchanged or tax_rules.applied(rules, asked) == tax_rules.applied(rules, current):
            return {"pending_country": "", "pending_tax_id": "", "has_pending_change": False}
        return {
            "country": current.country,
            "tax_id": current.tax_id,
            "pending_country": asked.country,
            "pending_tax_id": asked.tax_id,
            "has_pending_change": True,
        }

    def _rate(self, connection: Connection, row: Mapping[Any, Any]) -> int:
        applied = tax_rules.applied(tax.rules(connection, self._issuer_id), tax.buyer(row))
        return applied.rate_basis_points


def _validated(organization: invoice_pb2.Organization) -> dict[str, Any]:
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
    return {
        "business_name": organization.business_name.strip(),
        "address": organization.address.strip(),
        "tax_id": organization.tax_id.strip(),
        "billing_email": organization.billing_email.strip(),
        "tax_rate_basis_points": organization.tax_rate_basis_points,
        "country": organization.country,
    }


def _message(row: Mapping[Any, Any], rate: int) -> invoice_pb2.Organization:
    return invoice_pb2.Organization(
        account_id=row["account_id"],
        business_name=row["business_name"],
        address=row["address"],
        tax_id=row["tax_id"],
        billing_email=row["billing_email"],
        tax_rate_basis_points=rate,
        country=row["country"],
        pending_country=row["pending_country"] if row["has_pending_change"] else "",
        pending_tax_id=row["pending_tax_id"] if row["has_pending_change"] else "",
    )
