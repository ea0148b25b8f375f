"""The suite behind a real gateway: four services in this process, the gateway on uvicorn."""

from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, field

import httpx
import uvicorn

from services.common.clock import NS_PER_MS, SystemClock
from services.common.config import Env
from services.gateway.__main__ import listen
from services.gateway.adapters.unit_of_work import SqlUnitsOfWork
from services.gateway.bootstrap import Gateway, build
from services.gateway.domain.access import Role
from services.gateway.service.admin import Administration
from tests.harness.credentials import credentials
from tests.harness.services import InProcessService

BACKENDS = ("metering", "wallet", "invoicing", "notifications")


class AdvancedClock:
    """The system clock, moved ahead by what a test skips (forward only): time passes as usual,
    and a wait for the credential cache to expire is a step instead of a sleep."""

    def __init__(self) -> None:
        self._system = SystemClock()
        self._skipped_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._system.now_ms() + self._skipped_ms

    def now_ns(self) -> int:
        return self._system.now_ns() + self._skipped_ms * NS_PER_MS

    def monotonic_ms(self) -> int:
        return self._system.monotonic_ms() + self._skipped_ms

    def skip(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._skipped_ms += ms


class ThreadedGateway:
    """The gateway's ASGI app served by uvicorn on a free port, in a background thread."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._socket = listen("127.0.0.1", 0)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            gateway.served, log_config=None, access_log=False, lifespan="on", server_header=False
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedGateway:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=20)
        self.gateway.engine.dispose()


@dataclass
class Stack:
    services: dict[str, InProcessService]
    gateway: ThreadedGateway
    admin: Administration
    clock: AdvancedClock
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.gateway.url

    def key(self, account_id: str, role: Role | None, billing_access: bool = False) -> str:
        """An API key (made once per account, role and billing access)."""
        name = f"{account_id}:{role}:{billing_access}"
        if name not in self.keys:
            created = self.admin.create_api_key(account_id, role, name, billing_access)
            self.keys[name] = created.api_key
        return self.keys[name]

    def operator_key(self) -> str:
        """A named operator's API key."""
        return self.key("", None)

    def create_account(self, account_id: str, currency_code: str = "USD") -> None:
        """A wallet account, made through the gateway with an operator's key."""
        profile = {
            "account_id": account_id,
            "display_name": account_id.title(),
            "currency_code": currency_code,
            "time_zone": "Asia/Kolkata",
            "funding_mode": "FUNDING_MODE_PREPAID",
        }
        with self.client(self.operator_key()) as client:
            answer = client.post(
                "/v1/accounts",
                json={"profile": profile, "reason": "a test account"},
                headers={"Idempotency-Key": account_id},
            )
        if answer.status_code != 200:
            raise RuntimeError(f"cannot create {account_id}: {answer.text}")

    def client(self, api_key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.gateway.stop()
        for service in self.services.values():
            service.stop()


def start_stack(database_urls: dict[str, str], redis_url: str, extra: dict[str, str]) -> Stack:
    """Every service on its own database; the gateway's is database_urls["gateway"]."""
    services: dict[str, InProcessService] = {}
    try:
        for name in BACKENDS:
            env = {
                "DATABASE_URL": database_urls[name],
                "REDIS_URL": redis_url,
                # Webhooks to receivers on this machine (the tests' own).
                "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "true",
                # The services started before this one, where it calls them.
                **{f"{other.upper()}_ADDRESS": s.address for other, s in services.items()},
                **extra,
            }
            build_service = importlib.import_module(f"services.{name}.bootstrap").build
            services[name] = InProcessService(name, build_service, env).start()
        gateway_env = {
            **credentials().env("gateway"),
            "DATABASE_URL": database_urls["gateway"],
            "GATEWAY_TOKEN_SECRET": "x" * 40,
            "GATEWAY_MAX_BODY_BYTES": "65536",
            "REDIS_URL": redis_url,
            # Tests make many calls with one key: the limit itself is tested on its own.
            "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
            **{f"{name.upper()}_ADDRESS": services[name].address for name in BACKENDS},
            **extra,
        }
        clock = AdvancedClock()
        gateway = build(Env(gateway_env), clock)
        threaded = ThreadedGateway(gateway).start()
    except BaseException:
        for service in services.values():
            service.stop()
        raise
    return Stack(services, threaded, Administration(SqlUnitsOfWork(gateway.engine)), clock)
