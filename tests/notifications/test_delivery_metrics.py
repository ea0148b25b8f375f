"""Each webhook attempt is counted by outcome on the notifications service's Prometheus
endpoint: the figure the dashboard's deliveries panel reads."""

from __future__ import annotations

from pathlib import Path

import httpx
import redis
from billing.common.v1 import money_pb2
from billing.notifications.v1 import notifications_service_pb2 as pb
from billing.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet

from services.common import event_streams, outbox
from tests.harness.credentials import trusted_channel
from tests.harness.ports import free_port
from tests.harness.services import ServiceProcess
from tests.notifications.receivers import Receiver, wait_for


def delivered_samples(metrics_port: int) -> dict[str, float]:
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    samples = {}
    for line in scraped.splitlines():
        if line.startswith("billing_notifications_webhook_deliveries_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            samples[outcome] = float(line.rsplit(" ", 1)[1])
    return samples


def test_webhook_attempts_are_counted_by_outcome(
    tmp_path: Path, redis_url: str, receiver: Receiver
) -> None:
    metrics_port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'notifications.db'}",
        "REDIS_URL": redis_url,
        "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "true",
        "OTEL_METRICS_EXPORTER": "prometheus",
        "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port),
    }
    receiver.status["/refuses"] = 500
    service = ServiceProcess("notifications", env, tmp_path).start()
    try:
        with trusted_channel(service.address) as channel:
            stub = pb_grpc.NotificationsServiceStub(channel)
            for path in ("/accepts", "/refuses"):
                made = stub.CreateEndpoint(
                    pb.CreateEndpointRequest(account_id="acme", url=receiver.url(path)), timeout=5
                )
                receiver.secrets[path] = made.secret
        alert = wallet.BalanceAlert(
            event_id="metrics-1",
            account_id="acme",
            kind="low_balance",
            available=money_pb2.Money(currency_code="USD", amount_micros=1),
        )
        item = outbox.event(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
        events = redis.Redis.from_url(redis_url)
        events.xadd(
            item.stream, {"event": item.event, "type": item.type, "event_id": item.event_id}
        )
        events.close()
        wait_for(lambda: receiver.at("/accepts") and receiver.at("/refuses"), timeout_s=15)
        counted = wait_for(
            lambda: (s := delivered_samples(metrics_port)).get("retrying") and s, timeout_s=15
        )
    finally:
        service.terminate()
    assert counted["succeeded"] == 1.0
    assert counted["retrying"] >= 1.0
    assert "failed" not in counted
