"""Plans and subscriptions through gRPC: anchor days, next billing date, cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import grpc
import pytest
from billing.invoicing.v1 import events_pb2, invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    USD,
    create_plan,
    field_of,
    outbox_events,
    rpc_error,
    run_cycle,
    subscribe,
    usd,
)


@pytest.mark.parametrize(
    ("start", "next_billing", "after_one_cycle"),
    [
        ("2026-03-10", "2026-04-10", "2026-05-10"),
        ("2026-01-31", "2026-02-28", "2026-03-31"),
        ("2026-03-31", "2026-04-30", "2026-05-31"),
        ("2028-01-31", "2028-02-29", "2028-03-31"),
        ("2024-02-29", "2024-03-29", "2024-04-29"),
    ],
)
def test_next_billing_date_follows_the_anchor_day(
    start_invoicing: Callable[..., Invoicing], start: str, next_billing: str, after_one_cycle: str
) -> None:
    invoicing = start_invoicing(clock=lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    create_plan(invoicing.stub)
    created = subscribe(invoicing.stub, "acme", start)
    assert created.anchor_day == int(start[-2:])
    assert created.status == invoice_pb2.SUBSCRIPTION_STATUS_ACTIVE
    assert (created.current_cycle_start_date, created.next_billing_date) == (start, next_billing)
    run_cycle(invoicing.stub, next_billing)
    got = invoicing.stub.GetSubscription(
        pb.GetSubscriptionRequest(account_id="acme", subscription_id=created.subscription_id),
        timeout=TIMEOUT_S,
    ).subscription
    assert (got.current_cycle_start_date, got.next_billing_date) == (next_billing, after_one_cycle)
    assert got.cycles_billed == 1


def test_create_subscription_is_idempotent_and_listed(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    request = pb.CreateSubscriptionRequest(
        account_id="acme", plan_id="growth", start_date="2026-03-10", idempotency_key="k1"
    )
    first = invoicing.stub.CreateSubscription(request, timeout=TIMEOUT_S).subscription
    again = invoicing.stub.CreateSubscription(request, timeout=TIMEOUT_S).subscription
    assert first == again
    listed = invoicing.stub.ListSubscriptions(
        pb.ListSubscriptionsRequest(account_id="acme"), timeout=TIMEOUT_S
    ).subscriptions
    assert [s.subscription_id for s in listed] == [first.subscription_id]
    assert listed[0].next_billing_date == "2026-04-10"
    other = invoicing.stub.ListSubscriptions(
        pb.ListSubscriptionsRequest(account_id="globex"), timeout=TIMEOUT_S
    ).subscriptions
    assert list(other) == []


def test_cancel_at_cycle_end_bills_the_last_cycle_then_stops(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    sub = subscribe(invoicing.stub, "acme", "2026-03-10")
    cancel = pb.CancelSubscriptionRequest(
        account_id="acme", subscription_id=sub.subscription_id, cancel_date="2026-03-20"
    )
    cancelled = invoicing.stub.CancelSubscription(cancel, timeout=TIMEOUT_S).subscription
    assert cancelled.status == invoice_pb2.SUBSCRIPTION_STATUS_CANCELLED
    assert cancelled.end_date == "2026-04-09"
    assert cancelled.next_billing_date == "2026-04-10"
    assert invoicing.stub.CancelSubscription(cancel, timeout=TIMEOUT_S).subscription == cancelled
    issued = run_cycle(invoicing.stub, "2026-11-30").invoices
    assert [i.period_start_date for i in issued] == ["2026-03-10"]
    assert issued[0].total.amount_micros == 49 * USD
    final = invoicing.stub.GetSubscription(
        pb.GetSubscriptionRequest(account_id="acme", subscription_id=sub.subscription_id),
        timeout=TIMEOUT_S,
    ).subscription
    assert final.next_billing_date == ""
    again = rpc_error(
        invoicing.stub.CancelSubscription,
        pb.CancelSubscriptionRequest(
            account_id="acme", subscription_id=sub.subscription_id, idempotency_key="second"
        ),
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_cancel_immediately_prorates_the_last_fee(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub, monthly_fee=usd(31 * USD))
    sub = subscribe(invoicing.stub, "acme", "2026-03-10")
    cancelled = invoicing.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(
            account_id="acme",
            subscription_id=sub.subscription_id,
            cancel_date="2026-03-20",
            immediately=True,
        ),
        timeout=TIMEOUT_S,
    ).subscription
    assert (cancelled.end_date, cancelled.next_billing_date) == ("2026-03-20", "2026-03-21")
    assert run_cycle(invoicing.stub, "2026-03-20").issued_count == 0
    (invoice,) = run_cycle(invoicing.stub, "2026-03-21").invoices
    assert invoice.period_end_date == "2026-03-20"
    kinds = {line.kind: line.amount.amount_micros for line in invoice.lines}
    assert kinds["fee"] == 31 * USD
    assert kinds["proration"] == -20 * USD  # 11 of 31 days used
    assert invoice.total.amount_micros == 11 * USD


def test_subscription_bad_input_names_the_field(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    cases = {
        "start_date": pb.CreateSubscriptionRequest(
            account_id="acme", plan_id="growth", start_date="2026-02-30", subscription_id="s"
        ),
        "account_id": pb.CreateSubscriptionRequest(
            plan_id="growth", start_date="2026-02-01", subscription_id="s"
        ),
        "idempotency_key": pb.CreateSubscriptionRequest(
            account_id="acme", plan_id="growth", start_date="2026-02-01"
        ),
    }
    for field, request in cases.items():
        error = rpc_error(invoicing.stub.CreateSubscription, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_of(error) == field
    missing = rpc_error(
        invoicing.stub.CreateSubscription,
        pb.CreateSubscriptionRequest(
            account_id="acme", plan_id="nope", start_date="2026-02-01", subscription_id="s"
        ),
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    listed = invoicing.stub.ListSubscriptions(
        pb.ListSubscriptionsRequest(account_id="acme"), timeout=TIMEOUT_S
    ).subscriptions
    assert list(listed) == []


def test_another_accounts_subscription_is_not_found(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    sub = subscribe(invoicing.stub, "acme", "2026-03-10")
    for call, request in (
        (
            invoicing.stub.GetSubscription,
            pb.GetSubscriptionRequest(account_id="globex", subscription_id=sub.subscription_id),
        ),
        (
            invoicing.stub.CancelSubscription,
            pb.CancelSubscriptionRequest(account_id="globex", subscription_id=sub.subscription_id),
        ),
    ):
        assert rpc_error(call, request).code() == grpc.StatusCode.NOT_FOUND


def test_the_cancelled_event_occurs_when_the_service_clock_says(
    start_invoicing: Callable[..., Invoicing], database_url: str
) -> None:
    cancelled_at = dt.datetime(2030, 1, 5, 9, 30, 15, 123_000, tzinfo=dt.UTC)
    invoicing = start_invoicing(clock=lambda: cancelled_at)
    create_plan(invoicing.stub)
    sub = subscribe(invoicing.stub, "acme", "2030-01-01")
    invoicing.stub.CancelSubscription(
        pb.CancelSubscriptionRequest(account_id="acme", subscription_id=sub.subscription_id),
        timeout=TIMEOUT_S,
    )
    (event,) = outbox_events(database_url, events_pb2.SubscriptionCancelled)
    assert event.subscription_id == sub.subscription_id
    assert event.occur_time.ToDatetime(dt.UTC) == cancelled_at
