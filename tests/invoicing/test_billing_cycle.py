"""RunBillingCycle through gRPC: subscription and notifications invoices, exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    USD,
    create_plan,
    field_of,
    rpc_error,
    run_cycle,
    set_organization,
    subscribe,
    usd,
)

D = dt.date
SUBSCRIPTION = invoice_pb2.INVOICE_KIND_SUBSCRIPTION
NOTIFICATIONS = invoice_pb2.INVOICE_KIND_NOTIFICATIONS


def by_kind(invoices: list[invoice_pb2.Invoice]) -> dict[int, invoice_pb2.Invoice]:
    return {invoice.kind: invoice for invoice in invoices}


def test_a_cycle_crossing_a_month_bills_fee_extra_users_and_notifications(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub, notification_fee=usd(1_000))
    set_organization(invoicing.stub, "acme", tax_rate_bps=1800)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    metering = invoicing.metering
    metering.add_contacts("acme", D(2026, 3, 9), 500, prefix="before")  # not in the cycle
    metering.add_contacts("acme", D(2026, 3, 10), 90)
    metering.add_contacts("acme", D(2026, 4, 9), 40, prefix="late")  # last day counts
    metering.add_contacts("acme", D(2026, 4, 10), 70, prefix="next")  # next cycle
    metering.add_notifications("acme", D(2026, 3, 31), 1000, 25_000_000, "USD")
    metering.add_notifications("acme", D(2026, 4, 1), 400, 1_360_000, "USD")
    assert run_cycle(invoicing.stub, "2026-04-09").issued_count == 0

    answer = run_cycle(invoicing.stub, "2026-04-10")
    assert answer.issued_count == 2 and not answer.failures
    issued = by_kind(list(answer.invoices))
    subscription = issued[SUBSCRIPTION]
    assert (subscription.period_start_date, subscription.period_end_date) == (
        "2026-03-10",
        "2026-04-09",
    )
    users = next(line for line in subscription.lines if line.kind == "active_users")
    assert users.quantity_milli == 30_000  # 130 active, 100 included
    assert users.amount.amount_micros == 30 * 50_000
    assert subscription.subtotal.amount_micros == 50_500_000
    assert subscription.tax.amount_micros == 9_090_000  # 18 %
    assert subscription.total.amount_micros == 59_590_000
    assert subscription.status == invoice_pb2.INVOICE_STATUS_OPEN
    assert subscription.amount_due.amount_micros == 59_590_000
    assert subscription.number.startswith("INV-")
    assert subscription.bill_to.name == "acme Pvt Ltd"
    assert subscription.issuer.name == "Acme Messaging Ltd"
    assert subscription.payment_failure_reason == "no default card on file"

    notifications = issued[NOTIFICATIONS]
    *charges, fee = notifications.lines
    # One line per category, market and unit price: quantity x unit price = amount, exactly.
    assert [
        (line.kind, line.quantity_milli, line.unit_price.amount_micros, line.amount.amount_micros)
        for line in charges
    ] == [
        ("notifications", 400_000, 3_400, 1_360_000),
        ("notifications", 1_000_000, 25_000, 25_000_000),
    ]
    assert (fee.kind, fee.amount.amount_micros) == ("notification_fee", 1_400 * 1_000)
    assert notifications.subtotal.amount_micros == 27_760_000
    assert notifications.tax.amount_micros == 5_000_000  # 4.9968 rounded once, half up
    numbers = sorted(int(i.number.rsplit("-", 1)[1]) for i in issued.values())
    assert numbers == [1, 2]


def test_a_rerun_issues_nothing_new(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    first = run_cycle(invoicing.stub, "2026-05-10")
    assert first.issued_count == 2  # the March and April cycles
    calls = invoicing.metering.calls
    assert run_cycle(invoicing.stub, "2026-05-10").issued_count == 0
    assert invoicing.metering.calls == calls
    listed = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id="acme"), timeout=TIMEOUT_S
    ).invoices
    assert sorted(i.period_start_date for i in listed) == ["2026-03-10", "2026-04-10"]


def test_concurrent_runs_invoice_each_cycle_once(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    for number in range(6):
        subscribe(invoicing.stub, f"acct{number}", "2026-01-15")
    counts: list[int] = []

    def run() -> None:
        counts.append(run_cycle(invoicing.stub, "2026-04-15").issued_count)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 6 * 3
    numbers: list[int] = []
    for number in range(6):
        invoices = invoicing.stub.ListInvoices(
            pb.ListInvoicesRequest(account_id=f"acct{number}"), timeout=TIMEOUT_S
        ).invoices
        assert sorted(i.period_start_date for i in invoices) == [
            "2026-01-15",
            "2026-02-15",
            "2026-03-15",
        ]
        numbers += [int(i.number.rsplit("-", 1)[1]) for i in invoices]
    assert sorted(numbers) == list(range(1, 19))


def test_credits_are_redeemed_against_the_notifications_invoice_only(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    invoicing.metering.add_notifications("acme", D(2026, 3, 20), 1000, 25_000_000, "USD")
    invoicing.wallet.credits_micros["acme"] = 10 * USD
    issued = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))
    notifications = issued[NOTIFICATIONS]
    assert notifications.credits_applied.amount_micros == 10 * USD
    assert notifications.total.amount_micros == 25 * USD
    assert notifications.amount_due.amount_micros == 15 * USD
    assert issued[SUBSCRIPTION].credits_applied.amount_micros == 0
    assert invoicing.wallet.credits_micros["acme"] == 0
    assert list(invoicing.wallet.redemptions) == [f"invoice:{notifications.invoice_id}:credits"]


def test_credits_covering_the_whole_invoice_settle_it(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    invoicing.metering.add_notifications("acme", D(2026, 3, 20), 100, 2_500_000, "USD")
    invoicing.wallet.credits_micros["acme"] = 10 * USD
    notifications = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))[NOTIFICATIONS]
    assert notifications.status == invoice_pb2.INVOICE_STATUS_PAID
    assert notifications.amount_due.amount_micros == 0
    assert invoicing.wallet.credits_micros["acme"] == 7_500_000


def test_prepaid_accounts_get_a_statement_not_a_notifications_invoice(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub)
    invoicing.wallet.modes["acme"] = "prepaid"  # the wallet paid each message
    subscribe(invoicing.stub, "acme", "2026-03-10")
    invoicing.metering.add_notifications("acme", D(2026, 3, 20), 100, 2_500_000, "USD")
    issued = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))
    assert sorted(issued) == sorted([SUBSCRIPTION, invoice_pb2.INVOICE_KIND_STATEMENT])
    statement = issued[invoice_pb2.INVOICE_KIND_STATEMENT]
    assert statement.status == invoice_pb2.INVOICE_STATUS_ISSUED  # nothing to pay
    assert statement.number.startswith("ST-")
    assert [(line.kind, line.amount.amount_micros) for line in statement.lines] == [
        ("prepaid_messages", 2_500_000)
    ]
    assert (statement.tax.amount_micros, statement.amount_due.amount_micros) == (0, 0)


def test_an_annual_plan_gets_its_discount_and_monthly_user_counts(
    start_invoicing: Callable[..., Invoicing],
) -> None:
    invoicing = start_invoicing(clock=lambda: dt.datetime(2027, 2, 1, tzinfo=dt.UTC))
    create_plan(
        invoicing.stub,
        plan_id="annual",
        period_months=12,
        discount_basis_points=1500,
        included_active_users=10,
    )
    sub = subscribe(invoicing.stub, "acme", "2026-01-31", plan_id="annual")
    assert sub.next_billing_date == "2027-01-31"
    invoicing.metering.add_contacts("acme", D(2026, 2, 27), 12)  # month 1: 2 extra
    invoicing.metering.add_contacts("acme", D(2026, 2, 28), 15)  # month 2: 5 extra
    assert run_cycle(invoicing.stub, "2027-01-30").issued_count == 0
    (invoice,) = run_cycle(invoicing.stub, "2027-01-31").invoices
    fee, discount, *users = invoice.lines
    assert fee.amount.amount_micros == 12 * 49 * USD
    assert discount.amount.amount_micros == -(12 * 49 * USD * 15 // 100)
    assert len(users) == 12
    assert [u.quantity_milli // 1000 for u in users[:3]] == [2, 5, 0]
    assert invoice.subtotal.amount_micros == 12 * 49 * USD * 85 // 100 + 7 * 50_000


def test_metering_unavailable_fails_the_cycle_and_the_next_run_bills_it(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    invoicing.metering.down = True
    answer = run_cycle(invoicing.stub, "2026-04-10")
    assert answer.issued_count == 0
    (failure,) = answer.failures
    assert (failure.account_id, failure.cycle_start_date) == ("acme", "2026-03-10")
    assert "metering" in failure.reason
    invoicing.metering.down = False
    assert run_cycle(invoicing.stub, "2026-04-10").issued_count == 1


def test_wallet_unavailable_keeps_the_draft_and_a_later_run_finishes_it(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    invoicing.metering.add_notifications("acme", D(2026, 3, 20), 100, 2_500_000, "USD")
    invoicing.wallet.down = True
    answer = run_cycle(invoicing.stub, "2026-04-10")
    assert answer.issued_count == 0 and len(answer.failures) == 1
    drafts = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id="acme"), timeout=TIMEOUT_S
    ).invoices
    assert {i.status for i in drafts} == {invoice_pb2.INVOICE_STATUS_DRAFT}
    assert all(i.number == "" for i in drafts)
    invoicing.metering.add_notifications("acme", D(2026, 3, 21), 100, 2_500_000, "USD")
    invoicing.wallet.down = False
    issued = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))
    # The draft written first is what gets issued: usage is read once per cycle.
    assert issued[NOTIFICATIONS].total.amount_micros == 2_500_000
    assert issued[NOTIFICATIONS].invoice_id in {d.invoice_id for d in drafts}


def test_run_for_one_account_leaves_the_others(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    subscribe(invoicing.stub, "globex", "2026-03-10")
    answer = run_cycle(invoicing.stub, "2026-04-10", account_id="globex")
    assert [i.account_id for i in answer.invoices] == ["globex"]


def test_bad_as_of_date_is_invalid(invoicing: Invoicing) -> None:
    error = rpc_error(
        invoicing.stub.RunBillingCycle, pb.RunBillingCycleRequest(as_of_date="10/04/2026")
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == "as_of_date"
