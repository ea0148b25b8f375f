"""Account changes reach every serving wallet replica within FRESHNESS_BOUND_S.

Two wallet processes run with the loops the serving Deployment gives them
(deploy/k8s/base/wallet.yaml); an UpdateAccount on one must change what the other answers.
The path: the changing process commits the profile and its AccountChanged row; an outbox
relay (each serving replica runs one) publishes it within one idle wait of the loops; every
replica's `accounts` loop reads the stream within one more and drops its cached view. With the
defaults (WALLET_WORKER_IDLE_MAX_SECONDS=1) that is at most 2 s plus the steps themselves:
FRESHNESS_BOUND_S = 3. Should the event be lost (Redis lost with it), a view older than
WALLET_ACCOUNT_VIEW_MAX_AGE_SECONDS (30 s) is read again anyway.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import (
    account_pb2,
    authorise_pb2,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

from tests.harness.credentials import trusted_channel
from tests.harness.postgres import PostgresCluster
from tests.harness.services import ServiceProcess

FRESHNESS_BOUND_S = 3.0
DEADLINE_S = 10
US_NUMBER = "+12125550100"
MARKETING_USD_MICROS = 25_000
FEE_MICROS = 100_000
MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "wallet.yaml"


def serving_loops() -> str:
    """WALLET_LOOPS as the serving Deployment sets it."""
    deployment = next(
        d for d in yaml.safe_load_all(MANIFEST.read_text()) if d["kind"] == "Deployment"
    )
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    value: str = next(e["value"] for e in env if e["name"] == "WALLET_LOOPS")
    return value


@pytest.fixture
def replicas(
    postgres: PostgresCluster, redis_url: str, tmp_path: Path
) -> Iterator[list[ServiceProcess]]:
    env = {
        "DATABASE_URL": postgres.create_database(),
        "REDIS_URL": redis_url,
        "WALLET_LOOPS": serving_loops(),
        "WALLET_PARTITIONS": "4",
    }
    started = []
    try:
        for number in (1, 2):
            folder = tmp_path / f"replica-{number}"
            folder.mkdir()
            started.append(ServiceProcess("wallet", env, folder).start())
        yield started
    finally:
        for process in started:
            process.terminate()


def stub(process: ServiceProcess) -> wallet_service_pb2_grpc.WalletServiceStub:
    return wallet_service_pb2_grpc.WalletServiceStub(trusted_channel(process.address))


def authorise(
    wallet: wallet_service_pb2_grpc.WalletServiceStub, account: str
) -> authorise_pb2.AuthoriseSendResponse:
    request = authorise_pb2.AuthoriseSendRequest(
        account_id=account,
        channel_id="ch-1",
        recipient=US_NUMBER,
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        message_id=uuid.uuid4().hex,
    )
    answer: authorise_pb2.AuthoriseSendResponse = wallet.AuthoriseSend(request, timeout=DEADLINE_S)
    return answer


def seconds_until(condition: Callable[[], bool], limit_s: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit_s:
            raise AssertionError(f"not seen within {limit_s}s")
        time.sleep(0.05)
    return time.monotonic() - started


def update(
    wallet: wallet_service_pb2_grpc.WalletServiceStub, account: str, mask: str, **profile: object
) -> None:
    wallet.UpdateAccount(
        wallet_service_pb2.UpdateAccountRequest(
            account_id=account,
            profile=account_pb2.AccountProfile(**profile),  # type: ignore[arg-type]
            update_mask=mask,
        ),
        timeout=DEADLINE_S,
    )


def test_account_changes_reach_the_other_replica_within_the_bound(
    replicas: list[ServiceProcess],
) -> None:
    writer, reader = (stub(process) for process in replicas)
    account = f"acct-{uuid.uuid4().hex[:8]}"
    writer.CreateAccount(
        wallet_service_pb2.CreateAccountRequest(
            profile=account_pb2.AccountProfile(
                account_id=account,
                currency_code="USD",
                time_zone="UTC",
                funding_mode=account_pb2.FUNDING_MODE_PREPAID,
            )
        ),
        timeout=DEADLINE_S,
    )
    writer.TopUp(
        wallet_service_pb2.TopUpRequest(
            account_id=account,
            amount=money_pb2.Money(currency_code="USD", amount_micros=300_000),
            idempotency_key=uuid.uuid4().hex,
        ),
        timeout=DEADLINE_S,
    )
    # The reader prices with the account's view it has cached.
    first = authorise(reader, account)
    assert first.decision == authorise_pb2.DECISION_ALLOWED
    assert first.price.total.amount_micros == MARKETING_USD_MICROS

    # A price list change (a fee on every charged message).
    update(
        writer,
        account,
        "price_list",
        price_list=account_pb2.PriceList(fee_per_message_micros=FEE_MICROS),
    )
    priced = seconds_until(
        lambda: (
            authorise(reader, account).price.total.amount_micros
            == MARKETING_USD_MICROS + FEE_MICROS
        ),
        FRESHNESS_BOUND_S,
    )

    # Suspension.
    update(writer, account, "status", status=account_pb2.ACCOUNT_STATUS_SUSPENDED)
    suspended = seconds_until(
        lambda: (
            authorise(reader, account).deny_reason == authorise_pb2.DENY_REASON_ACCOUNT_SUSPENDED
        ),
        FRESHNESS_BOUND_S,
    )
    update(writer, account, "status", status=account_pb2.ACCOUNT_STATUS_ACTIVE)
    seconds_until(
        lambda: (
            authorise(reader, account).deny_reason != authorise_pb2.DENY_REASON_ACCOUNT_SUSPENDED
        ),
        FRESHNESS_BOUND_S,
    )

    # The funding mode: spend what is left, then a soft limit lets sends through, flagged.
    while authorise(reader, account).decision == authorise_pb2.DECISION_ALLOWED:
        pass
    update(
        writer,
        account,
        "funding_mode,overdraft_limit_micros",
        funding_mode=account_pb2.FUNDING_MODE_SOFT_LIMIT,
        overdraft_limit_micros=1_000_000,
    )
    soft = seconds_until(
        lambda: authorise(reader, account).decision == authorise_pb2.DECISION_ALLOWED_FLAGGED,
        FRESHNESS_BOUND_S,
    )
    assert max(priced, suspended, soft) <= FRESHNESS_BOUND_S
