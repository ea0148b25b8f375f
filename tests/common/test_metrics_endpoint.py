"""A service's Prometheus endpoint shows the RPC durations and the domain metrics."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2, wallet_service_pb2_grpc

from tests.harness.credentials import trusted_channel
from tests.harness.ports import free_port
from tests.harness.services import ServiceProcess


def test_the_wallet_serves_its_metrics_to_prometheus(redis_url: str, tmp_path: Path) -> None:
    metrics_port = free_port()
    wallet = ServiceProcess(
        "wallet",
        {
            "BILLING_DATA_DIR": str(tmp_path / "data"),
            "REDIS_URL": redis_url,
            "OTEL_METRICS_EXPORTER": "prometheus",
            "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
            "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port),
        },
        tmp_path,
    ).start()
    try:
        with trusted_channel(wallet.address) as channel:
            answer = wallet_service_pb2_grpc.WalletServiceStub(channel).AuthoriseSend(
                authorise_pb2.AuthoriseSendRequest(
                    account_id="nobody",
                    channel_id="ch-1",
                    recipient="+12125550100",
                    category=category_pb2.CATEGORY_MARKETING,
                    is_template=True,
                    message_id=uuid.uuid4().hex,
                ),
                timeout=10,
            )
        assert answer.deny_reason == authorise_pb2.DENY_REASON_UNKNOWN_ACCOUNT
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    finally:
        wallet.terminate()
    lines = scraped.splitlines()

    def samples(name: str) -> list[str]:
        return [line for line in lines if line.startswith(name)]

    (denied,) = samples("billing_wallet_authorisations_total")
    assert 'decision="DENIED"' in denied and 'reason="UNKNOWN_ACCOUNT"' in denied
    assert denied.endswith(" 1.0")
    assert any(
        "AuthoriseSend" in line for line in samples("rpc_server_duration_milliseconds_count")
    )
    for gauge in (
        "billing_wallet_reservations_open",
        "billing_wallet_settlement_lag_seconds",
        "billing_wallet_projector_lag_seconds",
        "billing_stream_consumer_lag",
        "billing_stream_consumer_age_seconds",
        "billing_outbox_backlog",
    ):
        assert samples(gauge), gauge
