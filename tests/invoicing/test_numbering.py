"""Gap-free numbers under concurrency, and idempotent retries of issuing calls."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from billing.invoicing.v1 import invoice_pb2

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import partner_invoice

WRITERS = 20
RETRIES = 50


def sequence(invoice: invoice_pb2.Invoice) -> int:
    return int(invoice.number.rsplit("-", 1)[1])


def test_twenty_invoices_finalised_at_once_are_numbered_1_to_20(invoicing: Invoicing) -> None:
    partners = [invoicing.account(f"partner{number}") for number in range(4)]
    start = threading.Barrier(WRITERS)

    def issue(number: int) -> invoice_pb2.Invoice:
        start.wait()
        return partner_invoice(invoicing.stub, partners[number % 4], f"order-{number}", 1)

    with ThreadPoolExecutor(WRITERS) as pool:
        issued = list(pool.map(issue, range(WRITERS)))
    assert sorted(sequence(invoice) for invoice in issued) == list(range(1, WRITERS + 1))
    assert len({invoice.invoice_id for invoice in issued}) == WRITERS


def test_retries_racing_each_other_issue_one_invoice_and_one_number(
    invoicing: Invoicing,
) -> None:
    start = threading.Barrier(8)

    def issue(_: int) -> invoice_pb2.Invoice:
        start.wait()
        for _attempt in range(RETRIES):
            try:
                return partner_invoice(invoicing.stub, "partner", "same-order", 2)
            except grpc.RpcError as error:
                # A key in flight elsewhere answers ABORTED: the client retries.
                if error.code() != grpc.StatusCode.ABORTED:  # type: ignore[attr-defined]
                    raise
                time.sleep(0.05)
        raise AssertionError("still aborted after retries")

    with ThreadPoolExecutor(8) as pool:
        answers = [answer for answer in pool.map(issue, range(8), timeout=60)]
    assert len({answer.invoice_id for answer in answers}) == 1
    after = partner_invoice(invoicing.stub, "partner", "next-order", 2)
    assert sequence(after) == 2
