"""RunBillingCycle through gRPC: subscription and notifications invoices, exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

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


def credits_of(invoicing: Invoicing, account_id: str) -> wallet_pb.ListCreditsResponse:
    return invoicing.backends.wallet.stub.ListCredits(
        wallet_pb.ListCreditsRequest(account_id=account_id), timeout=TIMEOUT_S
    )


def test_a_cycle_crossing_a_month_bills_fee_extra_users_and_notifications(
    invoicing: Invoicing,
) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub, notification_fee=usd(1_000))
    set_organization(invoicing.stub, acme, tax_rate_bps=1800)
    subscribe(invoicing.stub, acme, "2026-03-10")
    usage = invoicing.backends
    usage.contacts(acme, D(2026, 3, 9), 50, first=1000)  # not in the cycle
    people = usage.contacts(acme, D(2026, 3, 10), 90)
    usage.contacts(acme, D(2026, 4, 9), 40, first=2000)  # last day counts
    usage.contacts(acme, D(2026, 4, 10), 7, first=3000)  # next cycle
    # To the people active on the 10th: 40 marketing and 150 utility templates (US prices).
    usage.deliver(acme, D(2026, 3, 31), 40, "marketing", contacts=people)
    usage.deliver(acme, D(2026, 4, 1), 150, "utility", contacts=people)
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
    assert subscription.bill_to.name == f"{acme} Pvt Ltd"
    assert subscription.issuer.name == "Acme Messaging Ltd"
    assert subscription.payment_failure_reason == "no default card on file"

    notifications = issued[NOTIFICATIONS]
    *charges, fee = notifications.lines
    # One line per category, market and unit price: quantity x unit price = amount, exactly.
    assert [
        (line.kind, line.quantity_milli, line.unit_price.amount_micros, line.amount.amount_micros)
        for line in charges
    ] == [
        ("notifications", 40_000, 25_000, 1_000_000),
        ("notifications", 150_000, 3_400, 510_000),
    ]
    assert (fee.kind, fee.amount.amount_micros) == ("notification_fee", 190 * 1_000)
    assert notifications.subtotal.amount_micros == 1_700_000
    # 0.306 rounded once, half up (rounding each line's tax would make 0.30).
    assert notifications.tax.amount_micros == 310_000
    numbers = sorted(int(i.number.rsplit("-", 1)[1]) for i in issued.values())
    assert numbers == [1, 2]


def test_a_rerun_issues_nothing_new(invoicing: Invoicing) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    first = run_cycle(invoicing.stub, "2026-05-10")
    assert first.issued_count == 2  # the March and April cycles
    metering = invoicing.backends.metering_switch
    calls = metering.total_calls()
    assert run_cycle(invoicing.stub, "2026-05-10").issued_count == 0
    assert metering.total_calls() == calls
    listed = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id=acme), timeout=TIMEOUT_S
    ).invoices
    assert sorted(i.period_start_date for i in listed) == ["2026-03-10", "2026-04-10"]


def test_concurrent_runs_invoice_each_cycle_once(invoicing: Invoicing) -> None:
    create_plan(invoicing.stub)
    accounts = [invoicing.account(f"acct{number}") for number in range(6)]
    for account in accounts:
        subscribe(invoicing.stub, account, "2026-01-15")
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
    for account in accounts:
        invoices = invoicing.stub.ListInvoices(
            pb.ListInvoicesRequest(account_id=account), timeout=TIMEOUT_S
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
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    invoicing.backends.deliver(acme, D(2026, 3, 20), 100)  # marketing, 25,000 each
    credit_id = invoicing.backends.grant_credit(acme, 1 * USD)
    issued = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))
    notifications = issued[NOTIFICATIONS]
    assert notifications.credits_applied.amount_micros == 1 * USD
    assert notifications.total.amount_micros == 2_500_000
    assert notifications.amount_due.amount_micros == 1_500_000
    assert issued[SUBSCRIPTION].credits_applied.amount_micros == 0
    listed = credits_of(invoicing, acme)
    assert [c.remaining.amount_micros for c in listed.credits] == [0]
    assert [(r.credit_id, r.invoice_id, r.amount.amount_micros) for r in listed.redemptions] == [
        (credit_id, notifications.invoice_id, 1 * USD)
    ]


def test_credits_covering_the_whole_invoice_settle_it(invoicing: Invoicing) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    invoicing.backends.deliver(acme, D(2026, 3, 20), 100)
    invoicing.backends.grant_credit(acme, 10 * USD)
    notifications = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))[NOTIFICATIONS]
    assert notifications.status == invoice_pb2.INVOICE_STATUS_PAID
    assert notifications.amount_due.amount_micros == 0
    listed = credits_of(invoicing, acme)
    assert [c.remaining.amount_micros for c in listed.credits] == [7_500_000]


def test_prepaid_accounts_get_a_statement_not_a_notifications_invoice(
    invoicing: Invoicing,
) -> None:
    create_plan(invoicing.stub)
    acme = invoicing.account("acme", funding_mode=account_pb2.FUNDING_MODE_PREPAID)
    invoicing.backends.wallet.top_up(acme, 10 * USD)  # the wallet paid each message
    subscribe(invoicing.stub, acme, "2026-03-10")
    invoicing.backends.deliver(acme, D(2026, 3, 20), 100)
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
    acme = invoicing.account("acme")
    sub = subscribe(invoicing.stub, acme, "2026-01-31", plan_id="annual")
    assert sub.next_billing_date == "2027-01-31"
    invoicing.backends.contacts(acme, D(2026, 2, 27), 12)  # month 1: 2 extra
    invoicing.backends.contacts(acme, D(2026, 2, 28), 15)  # month 2: 5 extra
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
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    with invoicing.backends.metering_switch.down():
        answer = run_cycle(invoicing.stub, "2026-04-10")
    assert answer.issued_count == 0
    (failure,) = answer.failures
    assert (failure.account_id, failure.cycle_start_date) == (acme, "2026-03-10")
    assert "metering" in failure.reason
    assert run_cycle(invoicing.stub, "2026-04-10").issued_count == 1


def test_wallet_unavailable_keeps_the_draft_and_a_later_run_finishes_it(
    invoicing: Invoicing,
) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    invoicing.backends.deliver(acme, D(2026, 3, 20), 100)
    with invoicing.backends.wallet_switch.down("RedeemCredits"):  # reads answered, then none
        answer = run_cycle(invoicing.stub, "2026-04-10")
        assert answer.issued_count == 0 and len(answer.failures) == 1
        drafts = invoicing.stub.ListInvoices(
            pb.ListInvoicesRequest(account_id=acme), timeout=TIMEOUT_S
        ).invoices
    assert {i.status for i in drafts} == {invoice_pb2.INVOICE_STATUS_DRAFT}
    assert all(i.number == "" for i in drafts)
    invoicing.backends.deliver(acme, D(2026, 3, 21), 100)  # after the draft: not on it
    issued = by_kind(list(run_cycle(invoicing.stub, "2026-04-10").invoices))
    # The draft written first is what gets issued: usage is read once per cycle.
    assert issued[NOTIFICATIONS].total.amount_micros == 2_500_000
    assert issued[NOTIFICATIONS].invoice_id in {d.invoice_id for d in drafts}


def test_run_for_one_account_leaves_the_others(invoicing: Invoicing) -> None:
    acme, globex = invoicing.account("acme"), invoicing.account("globex")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    subscribe(invoicing.stub, globex, "2026-03-10")
    answer = run_cycle(invoicing.stub, "2026-04-10", account_id=globex)
    assert [i.account_id for i in answer.invoices] == [globex]


def test_bad_as_of_date_is_invalid(invoicing: Invoicing) -> None:
    error = rpc_error(
        invoicing.stub.RunBillingCycle, pb.RunBillingCycleRequest(as_of_date="10/04/2026")
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == "as_of_date"
