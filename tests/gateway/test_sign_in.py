"""Sign-in cannot be guessed at, and every credential has a request rate: a gateway alone
(no backend is called), with small limits so the test is quick."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from billing.common.v1.outbox_pb2 import OutboxBatch
from billing.gateway.v1.events_pb2 import SignInLocked

from services.cli.main import main as billing
from services.common.audit import AuditLog
from services.common.clock import SteppedClock
from services.common.config import Env
from services.gateway.adapters import tables
from services.gateway.adapters.unit_of_work import SqlUnitsOfWork
from services.gateway.bootstrap import Gateway, build
from services.gateway.domain.access import Role
from services.gateway.service.admin import Administration
from tests.gateway.stack import ThreadedGateway
from tests.harness.credentials import credentials
from tests.harness.ports import free_port

PASSWORD = "the right password"
LOCK_S = 1.5
DELAY_S = 0.5


class SteppedGateway(ThreadedGateway):
    """A gateway whose time moves only when the test steps its clock."""

    def __init__(self, gateway: Gateway, clock: SteppedClock) -> None:
        super().__init__(gateway)
        self.clock = clock

    def step_s(self, seconds: float) -> None:
        self.clock.step(round(seconds * 1000))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SteppedGateway]:
    running = _start(tmp_path_factory.mktemp("sign-in"), LOCK_S, DELAY_S)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def long_locks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SteppedGateway]:
    """Locks that outlast a test, reached with short delays."""
    running = _start(tmp_path_factory.mktemp("long-locks"), 600.0, 0.01)
    yield running
    running.stop()


def _start(folder: Path, lock_s: float, delay_s: float) -> SteppedGateway:
    nowhere = f"127.0.0.1:{free_port()}"
    env = {
        **credentials().env("gateway"),
        "DATABASE_URL": f"sqlite:///{folder / 'gateway.db'}",
        "GATEWAY_TOKEN_SECRET": "s" * 40,
        "METERING_ADDRESS": nowhere,
        "WALLET_ADDRESS": nowhere,
        "INVOICING_ADDRESS": nowhere,
        "GATEWAY_SIGN_IN_FREE_FAILURES": "2",
        "GATEWAY_SIGN_IN_LOCK_AFTER": "4",
        "GATEWAY_SIGN_IN_DELAY_SECONDS": str(delay_s),
        "GATEWAY_SIGN_IN_MAX_DELAY_SECONDS": str(2 * delay_s),
        "GATEWAY_SIGN_IN_LOCK_SECONDS": str(lock_s),
        "GATEWAY_SIGN_IN_ADDRESS_FREE_FAILURES": "3",
        "GATEWAY_SIGN_IN_ADDRESS_LOCK_AFTER": "50",
        "GATEWAY_FORWARDED_HOPS": "1",
        "GATEWAY_RATE_LIMIT_PER_SECOND": "1",
        "GATEWAY_RATE_LIMIT_BURST": "3",
    }
    clock = SteppedClock()
    running = SteppedGateway(build(Env(env), clock), clock)
    running.start()
    return running


def _user(gateway: ThreadedGateway) -> str:
    email = f"user-{uuid.uuid4().hex[:8]}@acme.example"
    admin = Administration(_units(gateway))
    admin.add_user(email, PASSWORD, f"acct-{uuid.uuid4().hex[:6]}", Role.OWNER, False)
    return email


def _units(gateway: ThreadedGateway) -> SqlUnitsOfWork:
    return SqlUnitsOfWork(gateway.gateway.engine)


def _sign_in(
    gateway: ThreadedGateway, email: str, password: str, address: str = ""
) -> httpx.Response:
    headers = {
        "X-Forwarded-For": address or f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    }
    return httpx.post(
        f"{gateway.url}/v1/auth/tokens",
        json={"email": email, "password": password},
        headers=headers,
        timeout=10,
    )


def test_failures_slow_down_then_lock_and_the_lock_is_recorded(
    gateway: SteppedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    email = _user(gateway)
    assert [_sign_in(gateway, email, "wrong").status_code for _ in range(2)] == [401, 401]
    waited = _sign_in(gateway, email, PASSWORD)
    assert waited.status_code == 429 and waited.headers["Retry-After"] == "1"
    assert waited.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    gateway.step_s(DELAY_S + 0.01)
    assert _sign_in(gateway, email, "wrong").status_code == 401
    assert _sign_in(gateway, email, PASSWORD).status_code == 429  # the delay doubled
    gateway.step_s(2 * DELAY_S + 0.01)
    with caplog.at_level(logging.WARNING):
        assert _sign_in(gateway, email, "wrong").status_code == 401  # the 4th: locked now
    locked = _sign_in(gateway, email, PASSWORD)
    assert locked.status_code == 429 and "locked" in locked.json()["error"]["message"]
    assert locked.headers["Retry-After"] == "2"  # LOCK_S (1.5 s), rounded up

    # Recorded, published once for the notifications service (in the gateway's outbox with
    # the lock), logged, and in the gateway's audit log.
    with gateway.gateway.engine.connect() as connection:
        (lock,) = connection.execute(
            sa.select(tables.sign_in_locks).where(tables.sign_in_locks.c.email == email)
        ).mappings()
        published = connection.execute(sa.select(tables.outbox)).mappings().all()
    assert lock["failures"] == 4 and lock["notified_at"] == lock["locked_at"]
    events = [e for row in published for e in OutboxBatch.FromString(row["events"]).events]
    (told,) = [e for e in events if e.event_id == lock["lock_id"]]
    assert told.stream == "billing.gateway.sign-ins"
    notice = SignInLocked.FromString(told.event)
    assert (notice.email, notice.failures) == (email, 4)
    assert any(r.getMessage() == "sign-in locked" for r in caplog.records)
    entries, _ = AuditLog(gateway.gateway.engine, tables.audit_entries, "gateway").page("", 100, "")
    (entry,) = [e for e in entries if e["action"] == "sign_in_locked" and email in e["after_json"]]
    assert entry["actor_kind"] == "system" and entry["target"] == f"user:{lock['user_id']}"

    gateway.step_s(LOCK_S - 0.01)
    assert _sign_in(gateway, email, PASSWORD).status_code == 429  # a moment before it ends
    gateway.step_s(0.02)
    assert _sign_in(gateway, email, PASSWORD).status_code == 200


def test_thirty_guesses_then_the_right_password_does_not_sign_in(
    long_locks: SteppedGateway,
) -> None:
    gateway = long_locks

    def guess(email: str, password: str) -> int:
        status = _sign_in(gateway, email, password).status_code
        gateway.step_s(0.03)  # each wait (0.01 s, then at most 0.02 s) is over by the next
        return status

    email = _user(gateway)
    statuses = [guess(email, f"guess-{n}") for n in range(30)]
    # LOCK_AFTER (4) passwords were checked; then sign-in is locked, whatever is given.
    assert statuses == [401] * 4 + [429] * 26
    assert _sign_in(gateway, email, PASSWORD).status_code == 429
    # An email nobody has is answered the same way: no telling who exists.
    nobody = f"nobody-{uuid.uuid4().hex[:6]}@acme.example"
    assert [guess(nobody, "x") for _ in range(6)] == [401] * 4 + [429] * 2


def test_one_address_trying_many_users_is_slowed_down(gateway: SteppedGateway) -> None:
    address = "192.0.2.77"
    emails = [_user(gateway) for _ in range(4)]
    answers = [_sign_in(gateway, e, "wrong", address).status_code for e in emails[:3]]
    assert answers == [401, 401, 401]
    assert _sign_in(gateway, emails[3], PASSWORD, address).status_code == 429
    assert _sign_in(gateway, emails[3], PASSWORD, "192.0.2.78").status_code == 200


def test_an_operator_ends_a_lock(
    long_locks: SteppedGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway = long_locks
    email = _user(gateway)
    for _ in range(4):
        _sign_in(gateway, email, "wrong")
        gateway.step_s(0.03)
    assert _sign_in(gateway, email, PASSWORD).status_code == 429
    monkeypatch.setenv("DATABASE_URL", gateway.gateway.engine.url.render_as_string(False))
    monkeypatch.setattr("sys.stdin", io.StringIO())
    capsys.readouterr()
    assert billing(["user", "unlock", "--email", email]) == 0
    assert json.loads(capsys.readouterr().out) == {"email": email, "unlocked": True}
    assert _sign_in(gateway, email, PASSWORD).status_code == 200


def test_each_credential_has_a_request_rate(gateway: SteppedGateway) -> None:
    admin = Administration(_units(gateway))
    first = admin.create_api_key("rate-a", Role.OWNER, "a", False).api_key
    second = admin.create_api_key("rate-b", Role.OWNER, "b", False).api_key
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        burst = [client.get("/v1/me", headers={"X-API-Key": first}) for _ in range(4)]
        other = client.get("/v1/me", headers={"X-API-Key": second})
        gateway.step_s(0.999)
        still = client.get("/v1/me", headers={"X-API-Key": first})
        gateway.step_s(0.001)
        later = client.get("/v1/me", headers={"X-API-Key": first})
    assert [a.status_code for a in burst] == [200, 200, 200, 429]
    assert burst[3].headers["Retry-After"] == "1"
    assert burst[3].json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    assert other.status_code == 200 and still.status_code == 429 and later.status_code == 200
