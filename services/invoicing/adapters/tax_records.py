"""The issuer's tax rules (stored as the contract's TaxConfiguration) and organization details
in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from sqlalchemy.engine import Connection

from services.invoicing.adapters import tables
from services.invoicing.adapters.billing_messages import configuration_message, configuration_of
from services.invoicing.adapters.upserts import upsert
from services.invoicing.service.commands.tax import Organization, TaxConfiguration


class SqlTaxRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def configuration(self, issuer_id: str) -> TaxConfiguration | None:
        table = tables.tax_configurations
        stored = self._connection.execute(
            sa.select(table.c.configuration).where(table.c.issuer_id == issuer_id)
        ).scalar()
        if stored is None:
            return None
        return configuration_of(invoice_pb2.TaxConfiguration.FromString(stored))

    def save_configuration(
        self, issuer_id: str, configuration: TaxConfiguration, updated_at: dt.datetime
    ) -> None:
        table = tables.tax_configurations
        stored = configuration_message(configuration).SerializeToString(deterministic=True)
        upsert(
            self._connection,
            table,
            table.c.issuer_id == issuer_id,
            {"issuer_id": issuer_id},
            {"configuration": stored, "updated_at": updated_at},
        )


class SqlOrganizationRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, account_id: str) -> Organization | None:
        table = tables.organizations
        row = self._connection.execute(
            sa.select(table).where(table.c.account_id == account_id)
        ).first()
        return None if row is None else organization(row._mapping)

    def save(self, organization: Organization, update_time: dt.datetime, *, new: bool) -> None:
        table = tables.organizations
        values = {
            "business_name": organization.business_name,
            "address": organization.address,
            "tax_id": organization.tax_id,
            "billing_email": organization.billing_email,
            "country": organization.country,
            "update_time": update_time,
            "pending_country": organization.pending_country,
            "pending_tax_id": organization.pending_tax_id,
            "has_pending_change": organization.has_pending_change,
        }
        account_id = organization.account_id
        if new:
            self._connection.execute(
                table.insert().values(account_id=account_id, tax_rate_basis_points=0, **values)
            )
        else:
            self._connection.execute(
                table.update().where(table.c.account_id == account_id).values(**values)
            )

    def set_treatment(
        self,
        account_id: str,
        treatment: str,
        exempt_reason: str,
        update_time: dt.datetime,
        confirmed: Organization | None,
    ) -> None:
        table = tables.organizations
        values: dict[str, Any] = {
            "tax_treatment": treatment,
            "exempt_reason": exempt_reason,
            "update_time": update_time,
        }
        if confirmed is not None:
            values.update(
                country=confirmed.pending_country,
                tax_id=confirmed.pending_tax_id,
                pending_country="",
                pending_tax_id="",
                has_pending_change=False,
            )
        self._connection.execute(
            table.update().where(table.c.account_id == account_id).values(**values)
        )


def organization(row: Mapping[Any, Any]) -> Organization:
    return Organization(
        account_id=row["account_id"],
        business_name=row["business_name"],
        address=row["address"],
        tax_id=row["tax_id"],
        billing_email=row["billing_email"],
        country=row["country"],
        pending_country=row["pending_country"],
        pending_tax_id=row["pending_tax_id"],
        has_pending_change=row["has_pending_change"],
        tax_treatment=row["tax_treatment"],
        exempt_reason=row["exempt_reason"],
    )
