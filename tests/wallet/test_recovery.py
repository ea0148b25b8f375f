"""kill -9 between reservation and projection: nothing lost or doubled. Reconcile, rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import (
    account_pb2,
    authorise_pb2,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

from services.cli.main import main as billing
from services.common.streams import GroupReader
from services.wallet.adapters import tables
from services.wallet.domain.partitions import Partitioner
from services.wallet.service.settings import PROJECTOR_GROUP
from tests.harness.credentials import credentials, trusted_channel
from tests.harness.services import ServiceProcess
from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, US_NUMBER

SENDS = 40
PARTITIONS = "4"


def _env(database_url: str, redis_url: str, workers: bool) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WALLET_PARTITIONS": PARTITIONS,
        "WALLET_WORKERS": "true" if workers else "false",
        "WALLET_CLAIM_IDLE_MS": "100",
        "WALLET_WORKER_INTERVAL_SECONDS": "0.05",
        "LOG_LEVEL": "WARNING",
    }


def _send_all(address: str, account: str) -> list[authorise_pb2.AuthoriseSendResponse]:
    with trusted_channel(address) as channel:
        stub = wallet_service_pb2_grpc.WalletServiceStub(channel)
        stub.CreateAccount(
            wallet_service_pb2.CreateAccountRequest(
                profile=account_pb2.AccountProfile(account_id=account, currency_code="USD")
            ),
            timeout=DEADLINE_S,
        )
        stub.TopUp(
            wallet_service_pb2.TopUpRequest(
                account_id=account,
                amount=money_pb2.Money(
                    currency_code="USD", amount_micros=30 * MARKETING_USD_MICROS
                ),
                idempotency_key="first",
            ),
            timeout=DEADLINE_S,
        )

        def send(n: int) -> authorise_pb2.AuthoriseSendResponse:
            return stub.AuthoriseSend(
                authorise_pb2.AuthoriseSendRequest(
                    account_id=account,
                    channel_id="chan-1",
                    recipient=US_NUMBER,
                    category=category_pb2.CATEGORY_MARKETING,
                    is_template=True,
                    message_id=f"m-{n}",
                ),
                timeout=DEADLINE_S,
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(send, range(SENDS)))


def _wait_for_holds(database_url: str, expected: int, timeout_s: float = 30) -> int:
    engine = sa.create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as connection:
                holds = connection.execute(
                    sa.select(sa.func.count()).where(tables.ledger_entries.c.kind == "hold")
                ).scalar_one()
            if holds >= expected * 2 or time.monotonic() > deadline:
                return int(holds)
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_kill_9_before_projection_loses_and_doubles_nothing(
    database_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    first = ServiceProcess("wallet", _env(database_url, redis_url, workers=False), tmp_path)
    first.start()
    try:
        answers = _send_all(first.address, account)
        # A projector that read some entries and died before acknowledging them.
        client = redis.Redis.from_url(redis_url)
        for keys in Partitioner(int(PARTITIONS)).all():
            GroupReader(client, keys.ledger, PROJECTOR_GROUP, "died").read(5)
    finally:
        first.kill()
    allowed = sum(a.decision == authorise_pb2.DECISION_ALLOWED for a in answers)
    assert allowed == 30
    second = ServiceProcess("wallet", _env(database_url, redis_url, workers=True), tmp_path)
    second.start()
    try:
        assert _wait_for_holds(database_url, allowed) == allowed * 2
    finally:
        assert second.terminate() == 0
    for name, value in _env(database_url, redis_url, workers=False).items():
        monkeypatch.setenv(name, value)
    assert billing(["reconcile"]) == 0
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        entries = connection.execute(
            sa.select(tables.ledger_entries.c.kind, sa.func.count()).group_by(
                tables.ledger_entries.c.kind
            )
        ).all()
    engine.dispose()
    assert dict(entries) == {"top_up": 2, "hold": 2 * allowed}


def test_reconcile_reports_a_difference_and_rebuild_repairs_it(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    service = ServiceProcess("wallet", _env(database_url, redis_url, workers=True), tmp_path)
    service.start()
    try:
        _send_all(service.address, account)
    finally:
        service.terminate()
    for name, value in _env(database_url, redis_url, workers=False).items():
        monkeypatch.setenv(name, value)
    assert billing(["reconcile"]) == 0
    keys = Partitioner(int(PARTITIONS)).keys(account)
    client = redis.Redis.from_url(redis_url)
    client.delete(keys.balances(account))
    capsys.readouterr()
    assert billing(["reconcile"]) == 1
    report = capsys.readouterr().out
    assert f"{account} USD available: redis 0 != ledger 0" not in report
    assert f"{account} USD held: redis 0 != ledger {30 * MARKETING_USD_MICROS}" in report
    assert billing(["rebuild", "--account", account]) == 0
    assert billing(["reconcile"]) == 0
    assert billing(["rebuild", "--account", "nobody"]) == 1


def test_the_projector_runs_in_its_own_process(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    serving = _env(database_url, redis_url, workers=True)
    service = ServiceProcess("wallet", {**serving, "WALLET_LOOPS": "outbox"}, tmp_path)
    service.start()
    projector = None
    try:
        answers = _send_all(service.address, account)
        allowed = sum(a.decision == authorise_pb2.DECISION_ALLOWED for a in answers)
        # Started once its gRPC health check answers SERVING (what the probes ask).
        projector = ServiceProcess(
            "wallet_loops",
            {**serving, "WALLET_LOOPS": "projector"},
            tmp_path,
            module="services.wallet.loops",
        ).start()
        assert _wait_for_holds(database_url, allowed) == allowed * 2
    finally:
        service.terminate()
        if projector is not None:
            assert projector.terminate() == 0
    wrong = subprocess.run(
        [sys.executable, "-m", "services.wallet.loops"],
        env={
            **os.environ,
            **credentials().env("wallet"),
            **serving,
            "WALLET_LOOPS": "nonsense",
            "WALLET_LOOPS_PORT": "0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert "WALLET_LOOPS" in wrong.stderr
