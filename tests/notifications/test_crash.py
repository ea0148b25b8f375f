"""kill -9 of the notifications service mid-delivery: no event lost, and a receiver sees a
duplicate only with the same webhook-id."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import grpc
import redis
from billing.common.v1 import money_pb2
from billing.notifications.v1 import notifications_service_pb2 as pb
from billing.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet

from services.common import event_streams, outbox
from tests.harness.services import ServiceProcess
from tests.notifications.receivers import Receiver, wait_for

EVENTS = 30


def test_kill_9_mid_delivery_loses_nothing_and_repeats_only_the_same_webhook_id(
    tmp_path: Path, redis_url: str, receiver: Receiver
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'notifications.db'}",
        "REDIS_URL": redis_url,
        "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "true",
        "NOTIFICATIONS_LEASE_SECONDS": "2",
        "STREAM_RETRY_FIRST_MS": "500",
        "NOTIFICATIONS_DELIVERY_THREADS": "4",
        "NOTIFICATIONS_BATCH": "4",
    }
    service = ServiceProcess("notifications", env, tmp_path).start()
    try:
        with grpc.insecure_channel(service.address) as channel:
            made = pb_grpc.NotificationsServiceStub(channel).CreateEndpoint(
                pb.CreateEndpointRequest(account_id="acme", url=receiver.url("/crash")), timeout=5
            )
        receiver.secrets["/crash"] = made.secret
        receiver.delay_s = 0.3  # every answer is slow: the kill lands mid-delivery
        events = redis.Redis.from_url(redis_url)
        for n in range(EVENTS):
            alert = wallet.BalanceAlert(
                event_id=f"crash-{n}",
                account_id="acme",
                kind="low_balance",
                available=money_pb2.Money(currency_code="USD", amount_micros=n),
            )
            item = outbox.event(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
            events.xadd(
                item.stream, {"event": item.event, "type": item.type, "event_id": item.event_id}
            )
        events.close()
        wait_for(lambda: len(receiver.at("/crash")) >= 3, timeout_s=15)
        service.kill()  # SIGKILL, while attempts are in flight
        receiver.delay_s = 0.0
        service.start()
        wait_for(
            lambda: (
                {r.payload["event_id"] for r in receiver.at("/crash")}
                >= {f"crash-{n}" for n in range(EVENTS)}
            ),
            timeout_s=30,
        )
        with grpc.insecure_channel(service.address) as channel:
            stub = pb_grpc.NotificationsServiceStub(channel)
            listing = pb.ListDeliveriesRequest(
                account_id="acme",
                endpoint_id=made.endpoint.endpoint_id,
                state=pb.DELIVERY_STATE_SUCCEEDED,
                page_size=100,
            )
            # Every delivery answered 2xx: those cut by the kill too (after their lease).
            wait_for(
                lambda: len(stub.ListDeliveries(listing, timeout=5).deliveries) == EVENTS,
                timeout_s=30,
            )
    finally:
        service.kill()
    received = receiver.at("/crash")
    assert all(r.verified for r in received)
    ids_per_event: dict[str, set[str]] = {}
    for r in received:
        ids_per_event.setdefault(r.payload["event_id"], set()).add(r.webhook_id)
    assert len(ids_per_event) == EVENTS
    assert all(len(ids) == 1 for ids in ids_per_event.values())
    duplicates = sum(count - 1 for count in Counter(r.webhook_id for r in received).values())
    assert duplicates >= 1  # the attempts the kill cut were made again, with their webhook-id
