"""Adding funds twice under one idempotency key: a retry that raced the first request (it
looked for the key before the first had stored its funding) is answered the first funding,
and the card is charged once."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.adapters.payment_rows import SqlFundings
from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import TIMEOUT_S, add_card, usd


def quote(invoicing: Invoicing, account_id: str, amount_micros: int) -> str:
    return invoicing.stub.QuoteFunds(
        pb.QuoteFundsRequest(account_id=account_id, amount=usd(amount_micros)), timeout=TIMEOUT_S
    ).quote.quote_id


def add(invoicing: Invoicing, account_id: str, quote_id: str, key: str) -> pb.AddFundsResponse:
    return invoicing.stub.AddFunds(
        pb.AddFundsRequest(account_id=account_id, quote_id=quote_id, idempotency_key=key),
        timeout=TIMEOUT_S,
    )


def test_a_retry_that_raced_the_first_request_is_answered_its_funding(
    invoicing: Invoicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = invoicing.account("acme")  # the funds reach its wallet
    add_card(invoicing.stub, acme, "card-1")
    quote_id = quote(invoicing, acme, 25_000_000)
    first = add(invoicing, acme, quote_id, "wizard-run-1").funding
    real = SqlFundings.get
    looks: list[str] = []

    def not_yet_stored(fundings: SqlFundings, account_id: str, funding_id: str) -> Any:
        looks.append(funding_id)
        # The retry's first look happens before the first request has stored its funding.
        return None if len(looks) == 1 else real(fundings, account_id, funding_id)

    monkeypatch.setattr(SqlFundings, "get", not_yet_stored)
    again = add(invoicing, acme, quote_id, "wizard-run-1").funding
    assert len(looks) >= 2
    assert (again.funding_id, again.state) == (first.funding_id, first.state)
    assert len(invoicing.provider.charges) == 1


def test_the_same_quote_under_another_key_is_still_refused(invoicing: Invoicing) -> None:
    acme = invoicing.account("acme")
    add_card(invoicing.stub, acme, "card-1")
    quote_id = quote(invoicing, acme, 10_000_000)
    add(invoicing, acme, quote_id, "run-a")
    with pytest.raises(grpc.RpcError) as refused:
        add(invoicing, acme, quote_id, "run-b")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "confirmed already" in (refused.value.details() or "")
    assert len(invoicing.provider.charges) == 1
