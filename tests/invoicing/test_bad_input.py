"""Bad input answers INVALID_ARGUMENT naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import TIMEOUT_S, USD, field_of, rpc_error, usd

CASES: list[tuple[str, Any, str]] = [
    ("GetInvoice", pb.GetInvoiceRequest(account_id="acme", invoice_id="bad id!"), "invoice_id"),
    ("ListInvoices", pb.ListInvoicesRequest(account_id="acme", page_token="x"), "page_token"),
    ("ListInvoices", pb.ListInvoicesRequest(account_id="acme", kind=99), "kind"),  # type: ignore[arg-type]
    ("ListInvoices", pb.ListInvoicesRequest(account_id=""), "account_id"),
    (
        "CreateTopUpReceipt",
        pb.CreateTopUpReceiptRequest(account_id="acme", top_up_id="t", amount=usd(-1)),
        "amount.amount_micros",
    ),
    (
        "CreateTopUpReceipt",
        pb.CreateTopUpReceiptRequest(account_id="acme", top_up_id="t", amount=usd(USD, "XXX")),
        "amount.currency_code",
    ),
    (
        "CreateTopUpReceipt",
        pb.CreateTopUpReceiptRequest(
            account_id="acme", top_up_id="t", amount=usd(USD), fee=usd(1, "EUR")
        ),
        "fee.currency_code",
    ),
    (
        "CreateTopUpReceipt",
        pb.CreateTopUpReceiptRequest(
            account_id="acme", top_up_id="t", amount=usd(USD), idempotency_key="k" * 201
        ),
        "idempotency_key",
    ),
    (
        "IssueCreditNote",
        pb.IssueCreditNoteRequest(
            account_id="acme", invoice_id="inv_1", amount=usd(USD), idempotency_key="k"
        ),
        "reason",
    ),
    (
        "IssueCreditNote",
        pb.IssueCreditNoteRequest(
            account_id="acme", invoice_id="inv_1", amount=usd(0), reason="r", idempotency_key="k"
        ),
        "amount.amount_micros",
    ),
    (
        "PayInvoice",
        pb.PayInvoiceRequest(account_id="acme", invoice_id="inv_1"),
        "idempotency_key",
    ),
    (
        "PayInvoice",
        pb.PayInvoiceRequest(
            account_id="acme",
            invoice_id="inv_1",
            payment_method_id="card-1",
            transfer_reference="W-1",
            idempotency_key="k",
        ),
        "payment_method_id",
    ),
    (
        "RunBillingCycle",
        pb.RunBillingCycleRequest(as_of_date="2026-04-10", account_id="a b"),
        "account_id",
    ),
    (
        "CancelSubscription",
        pb.CancelSubscriptionRequest(account_id="acme", subscription_id="s", cancel_date="x"),
        "cancel_date",
    ),
    (
        "CreatePlan",
        pb.CreatePlanRequest(
            plan=invoice_pb2.Plan(
                plan_id="p", name="P", monthly_fee=usd(USD), discount_basis_points=10_001
            )
        ),
        "plan.discount_basis_points",
    ),
    (
        "CreatePlan",
        pb.CreatePlanRequest(
            plan=invoice_pb2.Plan(plan_id="p", name="P", monthly_fee=usd(USD), period_months=5)
        ),
        "plan.period_months",
    ),
]


@pytest.mark.parametrize(("method", "request_message", "field"), CASES)
def test_bad_input_names_the_field(
    invoicing: Invoicing, method: str, request_message: Any, field: str
) -> None:
    error = rpc_error(getattr(invoicing.stub, method), request_message)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == field
    listed = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id="acme"), timeout=TIMEOUT_S
    ).invoices
    assert list(listed) == []
    plans = invoicing.stub.ListPlans(pb.ListPlansRequest(), timeout=TIMEOUT_S).plans
    assert list(plans) == []


def test_an_idempotency_key_reused_for_another_request_is_refused(invoicing: Invoicing) -> None:
    def update(name: str) -> Any:
        return pb.UpdateOrganizationRequest(
            account_id="acme",
            organization=invoice_pb2.Organization(
                business_name=name, billing_email="billing@acme.example"
            ),
            idempotency_key="org-1",
        )

    first = invoicing.stub.UpdateOrganization(update("Acme"), timeout=TIMEOUT_S)
    assert invoicing.stub.UpdateOrganization(update("Acme"), timeout=TIMEOUT_S) == first
    error = rpc_error(invoicing.stub.UpdateOrganization, update("Acme Two"))
    assert error.code() == grpc.StatusCode.ABORTED
    got = invoicing.stub.GetOrganization(
        pb.GetOrganizationRequest(account_id="acme"), timeout=TIMEOUT_S
    ).organization
    assert got.business_name == "Acme"
