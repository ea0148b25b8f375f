"""Small builders for invoicing requests, and the error a call failed with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import pytest
import sqlalchemy as sa
from billing.common.v1 import money_pb2, outbox_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf.message import Message

from services.common import db
from services.common.errors import FIELD_METADATA_KEY
from services.invoicing.adapters import tables

TIMEOUT_S = 20
USD = 1_000_000
M = TypeVar("M", bound=Message)


def usd(micros: int, currency: str = "USD") -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def rpc_error(call: Callable[..., Any], request: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=TIMEOUT_S)
    return caught.value


def field_of(error: grpc.RpcError) -> str:
    trailing: Any = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    return next((str(value) for key, value in trailing if key == FIELD_METADATA_KEY), "")


def create_plan(stub: Any, plan_id: str = "growth", **overrides: Any) -> invoice_pb2.Plan:
    values: dict[str, Any] = {
        "plan_id": plan_id,
        "name": "Growth",
        "monthly_fee": usd(49 * USD),
        "included_active_users": 100,
        "price_per_extra_user": usd(50_000),
        "notification_fee": usd(0),
        "period_months": 1,
    }
    values.update(overrides)
    answer = stub.CreatePlan(
        pb.CreatePlanRequest(plan=invoice_pb2.Plan(**values)), timeout=TIMEOUT_S
    )
    return answer.plan


def subscribe(
    stub: Any, account_id: str, start_date: str, plan_id: str = "growth", sub_id: str = ""
) -> invoice_pb2.Subscription:
    answer = stub.CreateSubscription(
        pb.CreateSubscriptionRequest(
            account_id=account_id,
            plan_id=plan_id,
            start_date=start_date,
            subscription_id=sub_id or f"{account_id}-{plan_id}",
        ),
        timeout=TIMEOUT_S,
    )
    return answer.subscription


def run_cycle(stub: Any, as_of: str, account_id: str = "") -> pb.RunBillingCycleResponse:
    request = pb.RunBillingCycleRequest(as_of_date=as_of, account_id=account_id)
    return stub.RunBillingCycle(request, timeout=TIMEOUT_S)


def set_organization(stub: Any, account_id: str, tax_rate_bps: int = 1800) -> None:
    """The buyer's details in India; the operator taxes India at the rate and confirms."""
    stub.SetTaxConfiguration(
        pb.SetTaxConfigurationRequest(
            configuration=invoice_pb2.TaxConfiguration(
                rates=[invoice_pb2.CountryTaxRate(country="IN", rate_basis_points=tax_rate_bps)]
            )
        ),
        timeout=TIMEOUT_S,
    )
    organization = stub.UpdateOrganization(
        pb.UpdateOrganizationRequest(
            account_id=account_id,
            organization=invoice_pb2.Organization(
                business_name=f"{account_id} Pvt Ltd",
                address="12 MG Road\nBengaluru 560001",
                tax_id="29ABCDE1234F1Z5",
                billing_email=f"billing@{account_id}.example",
                country="IN",
            ),
        ),
        timeout=TIMEOUT_S,
    ).organization
    if organization.pending_country:
        stub.SetAccountTaxStatus(
            pb.SetAccountTaxStatusRequest(account_id=account_id, confirm_pending_change=True),
            timeout=TIMEOUT_S,
        )


def add_card(
    stub: Any, account_id: str, method_id: str, token: str = "tok_visa", default: bool = False
) -> invoice_pb2.PaymentMethod:
    answer = stub.AddPaymentMethod(
        pb.AddPaymentMethodRequest(
            account_id=account_id,
            payment_method=invoice_pb2.PaymentMethod(
                payment_method_id=method_id,
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=2099,
                provider_token=token,
                is_default=default,
            ),
        ),
        timeout=TIMEOUT_S,
    )
    return answer.payment_method


def partner_invoice(
    stub: Any, account_id: str, key: str, channels: int = 75, price_micros: int = 20 * USD
) -> invoice_pb2.Invoice:
    """The operator sets the partner's contract price, then the partner asks for channels."""
    stub.SetPartnerContract(
        pb.SetPartnerContractRequest(
            account_id=account_id, price_per_channel_month=usd(price_micros)
        ),
        timeout=TIMEOUT_S,
    )
    answer = stub.CreatePartnerDaysInvoice(
        pb.CreatePartnerDaysInvoiceRequest(
            account_id=account_id, channels=channels, idempotency_key=key
        ),
        timeout=TIMEOUT_S,
    )
    return answer.invoice


def outbox_events(database_url: str, kind: type[M]) -> list[M]:
    """The events of one kind in invoicing's outbox, in the order written."""
    engine = db.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(tables.outbox.c.events)).scalars().all()
    finally:
        engine.dispose()
    return [
        kind.FromString(item.event)
        for row in rows
        for item in outbox_pb2.OutboxBatch.FromString(row).events
        if item.type == kind.DESCRIPTOR.full_name
    ]
