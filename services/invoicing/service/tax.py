"""The issuer's tax rules and each account's tax status: set by operators only, apart from the
organization details the buyer edits. Issuing reads them for every new invoice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import tables
from services.invoicing.domain import invoices, organizations, tax
from services.invoicing.service.settings import Clock
from services.invoicing.service.upserts import upsert

MAX_RATES = 300
TREATMENT_TO_PB = {
    tax.BY_RULES: invoice_pb2.TAX_TREATMENT_UNSPECIFIED,
    tax.STANDARD: invoice_pb2.TAX_TREATMENT_STANDARD,
    tax.REVERSE_CHARGE: invoice_pb2.TAX_TREATMENT_REVERSE_CHARGE,
    tax.EXEMPT: invoice_pb2.TAX_TREATMENT_EXEMPT,
}
TREATMENT_FROM_PB = {value: key for key, value in TREATMENT_TO_PB.items()}
Row = Mapping[Any, Any]


def rules(connection: Connection, issuer_id: str) -> tax.TaxRules:
    """The issuer's rules; an issuer that configured none charges no tax."""
    table = tables.tax_configurations
    stored = connection.execute(
        sa.select(table.c.configuration).where(table.c.issuer_id == issuer_id)
    ).scalar()
    if stored is None:
        return tax.TaxRules()
    return _rules(invoice_pb2.TaxConfiguration.FromString(stored))


def buyer(row: Row | None) -> tax.Buyer:
    if row is None:
        return tax.Buyer(country="", tax_id="")
    return tax.Buyer(row["country"], row["tax_id"], row["tax_treatment"], row["exempt_reason"])


def organization_row(connection: Connection, account_id: str) -> Row | None:
    table = tables.organizations
    row = connection.execute(sa.select(table).where(table.c.account_id == account_id)).first()
    return None if row is None else row._mapping


class TaxSettings:
    def __init__(self, engine: Engine, issuer_id: str, clock: Clock) -> None:
        self._engine = engine
        self._issuer_id = issuer_id
        self._clock = clock

    def get_configuration(
        self, request: pb.GetTaxConfigurationRequest
    ) -> pb.GetTaxConfigurationResponse:
        table = tables.tax_configurations
        with self._engine.connect() as connection:
            stored = connection.execute(
                sa.select(table.c.configuration).where(table.c.issuer_id == self._issuer_id)
            ).scalar()
        configuration = invoice_pb2.TaxConfiguration.FromString(stored or b"")
        return pb.GetTaxConfigurationResponse(configuration=configuration)

    def set_configuration(
        self, request: pb.SetTaxConfigurationRequest
    ) -> pb.SetTaxConfigurationResponse:
        configuration = _checked(request.configuration)
        table = tables.tax_configurations
        values = {
            "configuration": configuration.SerializeToString(deterministic=True),
            "updated_at": self._clock(),
        }

        def save() -> pb.SetTaxConfigurationResponse:
            upsert(
                connection,
                table,
                table.c.issuer_id == self._issuer_id,
                {"issuer_id": self._issuer_id},
                values,
            )
            return pb.SetTaxConfigurationResponse(configuration=configuration)

        with self._engine.begin() as connection:
            if not request.idempotency_key:
                return save()  # a PUT: the same request again changes nothing
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "SetTaxConfiguration",
                request.idempotency_key,
                request,
                pb.SetTaxConfigurationResponse,
                save,
            )

    def get_status(self, request: pb.GetAccountTaxStatusRequest) -> pb.GetAccountTaxStatusResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        with self._engine.connect() as connection:
            return pb.GetAccountTaxStatusResponse(status=self.status(connection, account_id))

    def set_status(self, request: pb.SetAccountTaxStatusRequest) -> pb.SetAccountTaxStatusResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        if request.treatment not in TREATMENT_FROM_PB:
            raise InvalidArgument("treatment", f"unknown treatment {request.treatment}")
        treatment = TREATMENT_FROM_PB[request.treatment]
        validation.text(request.exempt_reason, "exempt_reason", max_length=200)
        if treatment == tax.EXEMPT and not request.exempt_reason.strip():
            raise InvalidArgument("exempt_reason", "is required for an exempt account")
        if treatment != tax.EXEMPT and request.exempt_reason:
            raise InvalidArgument("exempt_reason", "only for an exempt account")
        idempotency.check_key(request.idempotency_key)
        table = tables.organizations
        with self._engine.begin() as connection:
            row = organization_row(connection, account_id)
            if row is None:
                raise NotFound("no organization details for this account yet", "account_id")
            values: dict[str, Any] = {
                "tax_treatment": treatment,
                "exempt_reason": request.exempt_reason.strip(),
                "update_time": self._clock(),
            }
            if request.confirm_pending_change:
                if not row["has_pending_change"]:
                    raise FailedPrecondition("no change is waiting", "confirm_pending_change")
                values.update(
                    country=row["pending_country"],
                    tax_id=row["pending_tax_id"],
                    pending_country="",
                    pending_tax_id="",
                    has_pending_change=False,
                )
            connection.execute(
                table.update().where(table.c.account_id == account_id).values(**values)
            )
            return pb.SetAccountTaxStatusResponse(status=self.status(connection, account_id))

    def status(self, connection: Connection, account_id: str) -> invoice_pb2.AccountTaxStatus:
        row = organization_row(connection, account_id)
        applied = tax.applied(rules(connection, self._issuer_id), buyer(row))
        message = invoice_pb2.AccountTaxStatus(
            account_id=account_id,
            rate_basis_points=applied.rate_basis_points,
            note=applied.note,
        )
        if row is not None:
            message.treatment = TREATMENT_TO_PB[row["tax_treatment"]]
            message.exempt_reason = row["exempt_reason"]
            message.country = row["country"]
            message.tax_id = row["tax_id"]
            if row["has_pending_change"]:
                message.pending_country = row["pending_country"]
                message.pending_tax_id = row["pending_tax_id"]
        return message


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


def _rules(configuration: invoice_pb2.TaxConfiguration) -> tax.TaxRules:
    return tax.TaxRules(
        rates={rate.country: rate.rate_basis_points for rate in configuration.rates},
        default_rate_basis_points=configuration.default_rate_basis_points,
        reverse_charge_countries=frozenset(configuration.reverse_charge_countries),
        reverse_charge_note=configuration.reverse_charge_note,
    )
