"""Benchmark: issuing invoices and billing cycles through gRPC on PostgreSQL.

Figures, each against the baseline of the same run (a ListPlans call, one row read):
1. CreatePartnerDaysInvoice one after another: draft, gap-free number and idempotency record
   in one transaction.
2. The same from 8 client threads: every finalisation queues on the series' counter row.
3. RunBillingCycle over 500 subscriptions, their usage read from the real metering and their
   accounts from the real wallet (tests/invoicing/backends.py): the time per subscription (a
   subscription and a notifications invoice each). Recording that usage takes minutes first.

Not a test (nothing asserted). Run: .venv/bin/python -m tests.invoicing.bench_billing
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from tests.harness.credentials import trusted_channel
from tests.harness.postgres import PostgresCluster
from tests.harness.services import InProcessService
from tests.invoicing.backends import serve_backends
from tests.invoicing.helpers import TIMEOUT_S, create_plan, partner_invoice, subscribe

BASELINE_CALLS = 500
ISSUE_CALLS = 500
THREADS = 8
SUBSCRIPTIONS = 500


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    postgres = PostgresCluster().start()
    serving = serve_backends("postgresql", postgres.create_database(), postgres.create_database())
    backends = next(serving)

    def build(env: Env) -> App:
        return bootstrap.wire(env, payment_provider=FakePaymentProvider()).app

    env = {
        "DATABASE_URL": postgres.create_database(),
        "METERING_ADDRESS": backends.metering_address,
        "WALLET_ADDRESS": backends.wallet.service.address,
        "INVOICING_SCHEDULER_ENABLED": "false",
        "INVOICING_AUTO_CHARGE": "false",
    }
    service = InProcessService("invoicing", build, env).start()
    channel = trusted_channel(service.address)
    stub = pb_grpc.InvoicingServiceStub(channel)
    try:
        create_plan(stub)
        baseline = timed(
            lambda: [
                stub.ListPlans(pb.ListPlansRequest(page_size=1), timeout=TIMEOUT_S)
                for _ in range(BASELINE_CALLS)
            ]
        )
        sequential = timed(
            lambda: [
                partner_invoice(stub, "partner", f"seq-{n}", channels=1) for n in range(ISSUE_CALLS)
            ]
        )

        partners = [backends.account(f"p{n}") for n in range(THREADS)]

        def issue_concurrently() -> None:
            with ThreadPoolExecutor(THREADS) as pool:
                list(
                    pool.map(
                        lambda n: partner_invoice(stub, partners[n % THREADS], f"par-{n}", 1),
                        range(ISSUE_CALLS),
                    )
                )

        concurrent = timed(issue_concurrently)
        for number in range(SUBSCRIPTIONS):
            account = backends.account(f"acct{number:04d}")
            subscribe(stub, account, "2026-03-10")
            people = backends.contacts(account, dt.date(2026, 3, 20), 150)
            backends.deliver(account, dt.date(2026, 3, 20), 40, contacts=people)
        answer: list[pb.RunBillingCycleResponse] = []
        cycle = timed(
            lambda: answer.append(
                stub.RunBillingCycle(
                    pb.RunBillingCycleRequest(as_of_date="2026-04-10"), timeout=600
                )
            )
        )
    finally:
        channel.close()
        service.stop()
        next(serving, None)
        postgres.stop()

    base_rate = per_second(BASELINE_CALLS, baseline)
    rows = [
        ("ListPlans (baseline)", base_rate),
        ("CreatePartnerDaysInvoice, 1 client", per_second(ISSUE_CALLS, sequential)),
        (f"CreatePartnerDaysInvoice, {THREADS} clients", per_second(ISSUE_CALLS, concurrent)),
        ("RunBillingCycle, subscriptions/s", per_second(SUBSCRIPTIONS, cycle)),
    ]
    print(f"PostgreSQL, in-process gRPC; {answer[0].issued_count} cycle invoices issued")
    for name, rate in rows:
        print(f"{name:45s} {rate:9.1f}/s   {rate / base_rate:6.3f} x baseline")


if __name__ == "__main__":
    main()
