"""Through the real services (wallet, invoicing, notifications and the gateway): a refused
campaign reaches a signed webhook and an email within 2 s; one low-balance event however many
sends cross the threshold together; the REST routes and who may use them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2, wallet_service_pb2_grpc

from services.gateway.domain.access import Role
from services.notifications.domain.events import EVENT_TYPES
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.credentials import trusted_channel
from tests.harness.redis_servers import RedisServer
from tests.notifications.receivers import MailBox, Receiver, wait_for

US_NUMBER = "+14155550123"
SEND = 25_000  # North America marketing, USD card in force


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailBox]:
    box = MailBox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, mailbox: MailBox
) -> Iterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("notifications-stack")
    urls = {name: f"sqlite:///{folder / name}.db" for name in (*BACKENDS, "gateway")}
    redis_url = f"redis://127.0.0.1:{redis_server.port}/5"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    running = start_stack(
        urls, redis_url, {"SMTP_URL": mailbox.url, "WALLET_LOW_BALANCE_MICROS": str(4 * SEND)}
    )
    yield running
    running.stop()


def account_with_contacts(stack: Stack, receiver: Receiver, name: str) -> str:
    account = f"{name}-{uuid.uuid4().hex[:6]}"
    stack.create_account(account)
    owner = stack.key(account, Role.OWNER)
    with stack.client(owner) as client:
        put = client.put(
            f"/v1/accounts/{account}/organization",
            json={"organization": {"business_name": name, "billing_email": f"pay@{account}.test"}},
        )
        assert put.status_code == 200, put.text
        made = client.post(
            f"/v1/accounts/{account}/webhook-endpoints",
            json={"url": receiver.url(f"/{account}"), "description": "ops"},
            headers={"Idempotency-Key": "first"},
        )
        assert made.status_code == 200, made.text
    receiver.secrets[f"/{account}"] = made.json()["secret"]
    return account


def wallet_stub(stack: Stack) -> wallet_service_pb2_grpc.WalletServiceStub:
    channel = trusted_channel(stack.services["wallet"].address)
    return wallet_service_pb2_grpc.WalletServiceStub(channel)


def test_a_refused_campaign_is_a_signed_webhook_and_an_email_within_two_seconds(
    stack: Stack, receiver: Receiver, mailbox: MailBox
) -> None:
    account = account_with_contacts(stack, receiver, "verloop")
    batch = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
        batch_id="spring-sale",
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"m-{n}")
            for n in range(40)
        ],
    )
    started = time.monotonic()
    answer = wallet_stub(stack).AuthoriseBatch(batch, timeout=10)
    assert answer.denied_count == 40
    [hook] = wait_for(lambda: receiver.at(f"/{account}"), timeout_s=5)
    [mail] = wait_for(lambda: mailbox.to(f"pay@{account}.test"), timeout_s=5)
    assert hook.at - started < 2.0
    assert mailbox.arrived[mailbox.messages.index(mail)] - started < 2.0
    assert hook.verified
    assert hook.payload["type"] == "campaign.refused"
    data = hook.payload["data"]
    assert data["needed"]["amount_micros"] == str(40 * SEND)
    assert data["refused_count"] == "40" and data["batch_id"] == "spring-sale"
    assert "add USD 1.00" in mail["Subject"]
    # A storm of refusals in the same window: no second event.
    for _ in range(5):
        wallet_stub(stack).AuthoriseBatch(batch, timeout=10)
    time.sleep(1.5)
    assert len(receiver.at(f"/{account}")) == 1


def test_one_low_balance_event_however_many_sends_cross_together(
    stack: Stack, receiver: Receiver
) -> None:
    account = account_with_contacts(stack, receiver, "interakt")
    with stack.client(stack.operator_key()) as client:
        topped = client.post(
            f"/v1/accounts/{account}/top-ups",
            json={
                "amount": {"currency_code": "USD", "amount_micros": str(10 * SEND)},
                "transfer_reference": f"wire-{account}",
                "reason": "transfer received",
            },
            headers={"Idempotency-Key": "t1"},
        )
        assert topped.status_code == 200, topped.text
    stub = wallet_stub(stack)

    def send(n: int) -> int:
        answer = stub.AuthoriseSend(
            authorise_pb2.AuthoriseSendRequest(
                account_id=account,
                channel_id="chan-1",
                recipient=US_NUMBER,
                category=category_pb2.CATEGORY_MARKETING,
                is_template=True,
                message_id=f"s-{n}",
            ),
            timeout=10,
        )
        return int(answer.decision)

    with ThreadPoolExecutor(max_workers=16) as pool:
        decisions = list(pool.map(send, range(8)))  # 10 -> 2 sends left: below 4
    assert decisions.count(authorise_pb2.DECISION_ALLOWED) == 8
    wait_for(lambda: receiver.at(f"/{account}"), timeout_s=10)
    time.sleep(2.0)  # the projector's later batches cross nothing new
    types = [r.payload["type"] for r in receiver.at(f"/{account}")]
    assert types == ["balance.low"]


def test_rest_routes_are_documented_and_agents_see_nothing_of_them(
    stack: Stack, receiver: Receiver
) -> None:
    account = account_with_contacts(stack, receiver, "dialog")
    with stack.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    base = "/v1/accounts/{account_id}/webhook-endpoints"
    for path in (
        base,
        base + "/{endpoint_id}",
        base + "/{endpoint_id}:rotateSecret",
        base + "/{endpoint_id}/deliveries",
        base + "/{endpoint_id}/deliveries/{delivery_id}",
        base + "/{endpoint_id}/deliveries/{delivery_id}:replay",
        base + "/{endpoint_id}/deliveries:replayFailed",
        "/v1/accounts/{account_id}/notification-preferences",
    ):
        assert path in paths, path
    agent = stack.key(account, Role.AGENT, billing_access=True)
    admin = stack.key(account, Role.ADMIN)
    with stack.client(agent) as client:
        assert client.get(f"/v1/accounts/{account}/webhook-endpoints").status_code == 403
        made = client.post(
            f"/v1/accounts/{account}/webhook-endpoints", json={"url": receiver.url("/x")}
        )
        assert made.status_code == 403
    with stack.client(admin) as client:
        listed = client.get(f"/v1/accounts/{account}/webhook-endpoints")
        assert listed.status_code == 200
        [endpoint] = listed.json()["endpoints"]
        assert "secret" not in endpoint
        other = client.get("/v1/accounts/someone-else/webhook-endpoints")
        assert other.status_code == 404


def test_event_types_are_listed_with_descriptions_for_owners_and_admins(
    stack: Stack, receiver: Receiver
) -> None:
    account = account_with_contacts(stack, receiver, "kinds")
    with stack.client() as client:
        assert "/v1/webhook-event-types" in client.get("/openapi.json").json()["paths"]
    with stack.client(stack.key(account, Role.ADMIN)) as client:
        listed = client.get("/v1/webhook-event-types")
        assert listed.status_code == 200, listed.text
        kinds = listed.json()["event_types"]
    assert [kind["name"] for kind in kinds] == list(EVENT_TYPES)
    assert all(kind["description"].strip() for kind in kinds)
    # Each listed type is one an endpoint may subscribe to.
    with stack.client(stack.key(account, Role.OWNER)) as client:
        made = client.post(
            f"/v1/accounts/{account}/webhook-endpoints",
            json={"url": receiver.url("/kinds"), "event_types": [k["name"] for k in kinds]},
        )
        assert made.status_code == 200, made.text
    agent = stack.key(account, Role.AGENT, billing_access=True)
    with stack.client(agent) as client:
        assert client.get("/v1/webhook-event-types").status_code == 403
