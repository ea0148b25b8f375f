"""Add funds as the billing page does it, through the gateway's REST routes, with the Stripe
adapter against the local Stripe-speaking server; Stripe's webhook through the gateway."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.gateway.domain.access import Role
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.redis_servers import RedisServer
from tests.harness.stripe_server import StripeServer


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path: Path, redis_url: str, stripe_server: StripeServer) -> Iterator[Stack]:
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in (*BACKENDS, "gateway")}
    extra = {**stripe_server.env(), "WALLET_TOP_UP_FEE_BASIS_POINTS": "150"}
    running = start_stack(urls, redis_url, extra)
    yield running
    running.stop()


def test_a_customer_saves_a_card_adds_funds_and_a_refund_takes_them_back(
    stack: Stack, stripe_server: StripeServer, redis_server: RedisServer
) -> None:
    account = f"rest-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    base = f"/v1/accounts/{account}"
    with stack.client(stack.key(account, Role.OWNER)) as client:
        client.headers["Idempotency-Key"] = "setup"
        setup = client.post(f"{base}/payment-methods:setup", json={}).json()
        stripe_server.complete_setup(setup["setup_id"], "pm_card_visa")
        client.headers["Idempotency-Key"] = "card"
        card = client.post(f"{base}/payment-methods", json={"setup_id": setup["setup_id"]})
        assert card.status_code == 200, card.text
        quote = client.post(
            f"{base}/funds:quote",
            json={"amount": {"currency_code": "USD", "amount_micros": "40000000"}},
        ).json()["quote"]
        assert (quote["fee"]["amount_micros"], quote["total"]["amount_micros"]) == (
            "600000",
            "40600000",
        )
        client.headers["Idempotency-Key"] = "add-40"
        added = client.post(f"{base}/funds", json={"quote_id": quote["quote_id"]})
        assert added.status_code == 200, added.text
        assert added.json()["funding"]["state"] == "FUNDING_STATE_COMPLETED"
        balance = client.get(f"{base}/balance").json()["balances"][0]
        assert balance["available_micros"] == "40000000"
        deadline = time.monotonic() + 15
        while True:  # metering learns of the account from the wallet's events
            estimate = client.get(f"{base}/funds:estimate", params={"days": "30"})
            if estimate.status_code != 404 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert estimate.status_code == 200, estimate.text
        assert estimate.json()["days"] == 30
        assert client.get(f"{base}/recharges").status_code == 200
        fundings = client.get(f"{base}/fundings").json()["fundings"]
        assert [f["state"] for f in fundings] == ["FUNDING_STATE_COMPLETED"]
    [intent] = [i for i in stripe_server.intents() if i["metadata"]["account_id"] == account]
    body, signature = stripe_server.event(
        "charge.refunded", stripe_server.refund(intent["id"], 1_000)
    )
    with stack.client() as stripe:  # Stripe presents no credential, only its signature
        forged = stripe.post(
            "/v1/payment-events/stripe", content=body, headers={"Stripe-Signature": "t=1,v1=00"}
        )
        assert forged.status_code == 403
        delivered = stripe.post(
            "/v1/payment-events/stripe", content=body, headers={"Stripe-Signature": signature}
        )
        assert delivered.status_code == 200, delivered.text
        again = stripe.post(
            "/v1/payment-events/stripe", content=body, headers={"Stripe-Signature": signature}
        )
        assert again.json() == {"received": True, "duplicate": True}
    with stack.client(stack.key(account, Role.OWNER)) as client:
        balance = client.get(f"{base}/balance").json()["balances"][0]
        assert balance["available_micros"] == "30000000"
