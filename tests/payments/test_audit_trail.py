"""Every act that moves money, cards or days is in the audit log, read through REST (the owner
its account's, operators every account's) and `billing audit`: a customer's acts with the
customer as the actor; the payment provider's (3-D Secure completed, a refund, a dispute) and
the auto-recharge invoicing charges on the wallet's request with the service as the actor.
The services run with their background loops, Stripe is the local Stripe-speaking server."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.cli.main import main as billing
from services.gateway.domain.access import Role
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.credentials import credentials, trusted_channel
from tests.harness.redis_servers import RedisServer
from tests.harness.stripe_server import StripeServer

LETTERS = str.maketrans("0123456789", "ghijklmnop")

# A logical Redis database of this module's own, so its stack shares no streams.
REDIS_DB = 8
WAIT_S = 30
USD_10 = {"currency_code": "USD", "amount_micros": "10000000"}


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, stripe_server: StripeServer
) -> Iterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("audit-trail")
    urls = {name: f"sqlite:///{folder / name}.db" for name in (*BACKENDS, "gateway")}
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    running = start_stack(urls, redis_url, stripe_server.env())
    yield running
    running.stop()


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _key() -> dict[str, str]:
    # Letters only: a run of digits could pass for a card number, which invoicing refuses.
    return {"Idempotency-Key": uuid.uuid4().hex.translate(LETTERS)}


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.2)


def _entries(client: httpx.Client, path: str, account: str = "") -> list[dict[str, Any]]:
    params = {"page_size": "1000", **({"account_id": account} if account else {})}
    return list(_ok(client.get(path, params=params))["entries"])


def save_card(client: httpx.Client, stripe: StripeServer, base: str, card: str) -> str:
    setup = _ok(client.post(f"{base}/payment-methods:setup", json={}, headers=_key()))
    stripe.complete_setup(setup["setup_id"], card)
    saved = client.post(f"{base}/payment-methods", json={"setup_id": setup["setup_id"]})
    return str(_ok(saved)["payment_method"]["payment_method_id"])


def add_funds(client: httpx.Client, base: str, card: str = "") -> dict[str, Any]:
    quote = _ok(client.post(f"{base}/funds:quote", json={"amount": USD_10}, headers=_key()))
    body = {"quote_id": quote["quote"]["quote_id"], **({"payment_method_id": card} if card else {})}
    return dict(_ok(client.post(f"{base}/funds", json=body, headers=_key()))["funding"])


def webhook(stack: Stack, stripe: StripeServer, kind: str, thing: dict[str, Any]) -> None:
    body, signature = stripe.event(kind, thing)
    with stack.client() as provider:
        answer = provider.post(
            "/v1/payment-events/stripe", content=body, headers={"Stripe-Signature": signature}
        )
    assert answer.status_code == 200, answer.text


def test_every_money_act_of_customers_the_provider_and_the_services_is_audited(
    stack: Stack,
    stripe_server: StripeServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = f"trail-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    base = f"/v1/accounts/{account}"
    owner = stack.client(stack.key(account, Role.OWNER))
    operator = stack.client(stack.operator_key())
    wallet_channel = trusted_channel(stack.services["wallet"].address)
    try:
        # Cards: two saved, the second made the default, then the first again.
        visa = save_card(owner, stripe_server, base, f"pm_{account}_visa")
        secure = save_card(owner, stripe_server, base, "pm_card_authenticationRequired")
        _ok(owner.post(f"{base}/payment-methods/{secure}:set-default", json={}, headers=_key()))

        # Add funds: once at once, once with 3-D Secure the provider confirms later.
        assert add_funds(owner, base, visa)["state"] == "FUNDING_STATE_COMPLETED"
        waiting = add_funds(owner, base)
        assert waiting["state"] == "FUNDING_STATE_REQUIRES_ACTION"
        intents = [i for i in stripe_server.intents() if i["metadata"]["account_id"] == account]
        paid_at_once, needs_action = sorted(intents, key=lambda i: str(i["id"]))
        webhook(
            stack,
            stripe_server,
            "payment_intent.succeeded",
            stripe_server.authenticate(needs_action["id"]),
        )
        # The provider refunds part of one payment and a dispute opens on the other.
        refund = stripe_server.refund(paid_at_once["id"], 200)
        webhook(stack, stripe_server, "charge.refunded", refund)
        webhook(
            stack,
            stripe_server,
            "charge.dispute.created",
            stripe_server.dispute(needs_action["id"], 100),
        )

        # A plan subscribed to and cancelled.
        plan = {
            "plan": {"plan_id": f"plan-{account}", "name": "Growth", "monthly_fee": USD_10},
            "reason": "catalogue",
        }
        _ok(operator.post("/v1/plans", json=plan, headers=_key()))
        subscribed = _ok(
            owner.post(
                f"{base}/subscriptions",
                json={"plan_id": f"plan-{account}", "start_date": "2026-03-10"},
                headers=_key(),
            )
        )["subscription"]
        cancel = f"{base}/subscriptions/{subscribed['subscription_id']}:cancel"
        _ok(owner.post(cancel, json={}, headers=_key()))

        # Auto-recharge: set, then one send takes the balance below the threshold; invoicing
        # charges the default card (the first one again) on the wallet's request.
        _ok(owner.post(f"{base}/payment-methods/{visa}:set-default", json={}, headers=_key()))
        first = {"channel_id": "chan-0", "display_phone_number": "+919800000000"}
        _ok(owner.post(f"{base}/channels", json=first, headers=_key()))
        available = int(_ok(owner.get(f"{base}/balance"))["balances"][0]["available_micros"])
        rule = {
            "enabled": True,
            "threshold_micros": str(available - 1),
            "amount_micros": "5000000",
            "max_per_month": 3,
        }
        _ok(owner.put(f"{base}/auto-recharge", json={"auto_recharge": rule}))
        wallet = wallet_grpc.WalletServiceStub(wallet_channel)
        wallet.AuthoriseSend(
            authorise_pb2.AuthoriseSendRequest(
                account_id=account,
                channel_id="chan-0",
                recipient="+12125550100",
                category=category_pb2.CATEGORY_MARKETING,
                is_template=True,
                message_id=f"{account}-m-1",
            ),
            timeout=10,
        )
        _wait(
            lambda: any(
                e["action"] == "AutoRechargeCredited"
                for e in _entries(owner, f"{base}/audit-entries")
            ),
            "the auto-recharge in the audit log",
        )
        # Days: requested at the contract price, the invoice paid by card, allocated to a
        # channel, returned when the channel is deleted.
        contract = {
            "price_per_channel_month": {"currency_code": "USD", "amount_micros": "3000000"},
            "reason": "signed contract",
        }
        _ok(operator.put(f"{base}/partner-contract", json=contract))
        invoice = _ok(
            owner.post(f"{base}/invoices:partner-days", json={"channels": "1"}, headers=_key())
        )["invoice"]
        paid = _ok(
            owner.post(f"{base}/invoices/{invoice['invoice_id']}:pay", json={}, headers=_key())
        )
        assert paid["invoice"]["status"] == "INVOICE_STATUS_PAID", paid
        channel = {"channel_id": "chan-1", "display_phone_number": "+919800000001"}
        _ok(owner.post(f"{base}/channels", json=channel, headers=_key()))
        _ok(owner.post(f"{base}/channels/chan-1:allocate-days", json={"days": "5"}, headers=_key()))
        _ok(owner.delete(f"{base}/channels/chan-1", headers=_key()))

        # Remove the card no longer used.
        _ok(owner.delete(f"{base}/payment-methods/{secure}", headers=_key()))

        mine = _entries(owner, f"{base}/audit-entries")
        by_action: dict[str, list[dict[str, Any]]] = {}
        for entry in mine:
            assert entry["account_id"] == account
            by_action.setdefault(entry["action"], []).append(entry)
        customer_acts = {
            "StartCardSetup",
            "AddPaymentMethod",
            "SetDefaultPaymentMethod",
            "AddFunds",
            "CreateSubscription",
            "CancelSubscription",
            "CreatePartnerDaysInvoice",
            "PayInvoice",
            "RegisterChannel",
            "AllocateDays",
            "DeleteChannel",
            "SetAutoRecharge",
            "RemovePaymentMethod",
        }
        missing = customer_acts - set(by_action)
        assert not missing, sorted(by_action)
        for action in customer_acts:
            assert all(e["actor"]["kind"] == "customer" for e in by_action[action]), action
            assert all(e["actor"]["role"] == "owner" for e in by_action[action]), action
        # The customer's own payment is its PayInvoice entry, not a second one.
        assert "InvoicePaidByCard" not in by_action
        provider_acts = {
            "PaymentSucceeded",
            "AddFundsCredited",
            "PaymentRefunded",
            "PaymentDisputed",
        }
        assert provider_acts <= set(by_action), sorted(by_action)
        for action in provider_acts:
            (entry,) = by_action[action]
            assert entry["actor"]["kind"] == "service" and entry["actor"]["id"] == "stripe"
            assert entry["service"] == "invoicing" and entry["actor"]["caller"] == "gateway"
        (refunded,) = by_action["PaymentRefunded"]
        assert refunded["before"]["refunded_micros"] == 0
        assert refunded["after"]["refunded_micros"] == 2_000_000
        # The wallet took the refunded money back on invoicing's word.
        reversals = by_action["ReverseTopUp"]
        assert {e["actor"]["kind"] for e in reversals} == {"service"}
        (recharge,) = by_action["AutoRechargeCredited"]
        assert (recharge["actor"]["kind"], recharge["actor"]["id"]) == ("service", "invoicing")
        assert recharge["before"] == {"state": "paid"}
        assert recharge["after"]["state"] == "credited"
        assert recharge["after"]["amount_micros"] == 5_000_000
        assert recharge["reason"] == "the balance fell below its threshold"
        assert any(e["actor"]["kind"] == "service" for e in by_action["TopUp"])

        everything = _entries(operator, "/v1/audit-entries", account=account)
        assert [e["entry_id"] for e in everything] == [e["entry_id"] for e in mine]

        env = {
            **credentials().env("cli"),
            "DATABASE_URL": stack.gateway.gateway.engine.url.render_as_string(False),
            "WALLET_ADDRESS": stack.services["wallet"].address,
            "INVOICING_ADDRESS": stack.services["invoicing"].address,
            "BILLING_OPERATOR": "auditor@provider.example",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        assert billing(["audit", "--account", account, "--limit", "1000"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert [e["entry_id"] for e in printed["entries"]] == [e["entry_id"] for e in mine]
    finally:
        owner.close()
        operator.close()
        wallet_channel.close()
