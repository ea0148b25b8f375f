"""Service credentials on every gRPC port: no token, no call; each service's own rules for
callers and principals; principals signed, checked, scoped and forwarded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoicing_service_pb2
from billing.metering.v1 import metering_service_pb2
from billing.notifications.v1 import notifications_service_pb2
from billing.wallet.v1 import account_pb2, wallet_service_pb2, wallet_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import service_auth
from services.common.config import ConfigError, Env
from services.common.errors import PermissionDenied, Unauthenticated
from services.common.service_auth import Allow, Principal, ServerCredentials, ServiceAuth
from services.invoicing.entrypoints import access as invoicing_access
from services.metering.entrypoints import access as metering_access
from services.notifications.entrypoints import access as notifications_access
from services.wallet.entrypoints import access as wallet_access
from tests.harness import credentials as harness
from tests.harness.services import InProcessService

DESCRIPTORS = {
    "wallet": (
        wallet_service_pb2.DESCRIPTOR.services_by_name["WalletService"],
        wallet_access.RULES,
    ),
    "metering": (
        metering_service_pb2.DESCRIPTOR.services_by_name["MeteringService"],
        metering_access.RULES,
    ),
    "invoicing": (
        invoicing_service_pb2.DESCRIPTOR.services_by_name["InvoicingService"],
        invoicing_access.RULES,
    ),
    "notifications": (
        notifications_service_pb2.DESCRIPTOR.services_by_name["NotificationsService"],
        notifications_access.RULES,
    ),
}
SERVICES = tuple(DESCRIPTORS)


@pytest.fixture(scope="module")
def services(
    tmp_path_factory: pytest.TempPathFactory, redis_server: Any
) -> Iterator[dict[str, str]]:
    import importlib

    folder: Path = tmp_path_factory.mktemp("service-auth")
    started: dict[str, InProcessService] = {}
    try:
        for name in SERVICES:
            env = {
                "DATABASE_URL": f"sqlite:///{folder / name}.db",
                "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/5",
                "WALLET_WORKERS": "false",
                "METERING_WORKERS_ENABLED": "false",
                "INVOICING_SCHEDULER_ENABLED": "false",
                "NOTIFICATIONS_WORKERS": "false",
                **{f"{n.upper()}_ADDRESS": s.address for n, s in started.items()},
            }
            build = importlib.import_module(f"services.{name}.bootstrap").build
            started[name] = InProcessService(name, build, env).start()
        yield {name: service.address for name, service in started.items()}
    finally:
        for service in started.values():
            service.stop()


def _calls(channel: grpc.Channel, descriptor: Any) -> Iterator[tuple[str, Any]]:
    """Every RPC of the service as a raw multicallable (empty request)."""
    for method in descriptor.methods:
        path = f"/{descriptor.full_name}/{method.name}"
        streaming = method.server_streaming
        factory: Any = channel.unary_stream if streaming else channel.unary_unary
        call: Any = factory(path, request_serializer=None, response_deserializer=None)
        yield (
            method.name,
            (lambda c=call, s=streaming, **kw: list(c(b"", **kw)) if s else c(b"", **kw)),
        )


def _code(call: Any, **kwargs: Any) -> grpc.StatusCode:
    try:
        call(timeout=5, **kwargs)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.mark.parametrize("name", SERVICES)
def test_every_rpc_refuses_a_call_without_a_valid_credential(
    services: dict[str, str], name: str
) -> None:
    descriptor, _ = DESCRIPTORS[name]
    forged = harness.credentials().tokens["messaging"][:-4] + "AAAA"
    with grpc.insecure_channel(services[name]) as channel:
        for rpc, call in _calls(channel, descriptor):
            assert _code(call) == grpc.StatusCode.UNAUTHENTICATED, rpc
            for bad in ("Bearer " + forged, "Bearer nobody.secret", "Bearer", "messaging"):
                metadata = (("authorization", bad),)
                assert _code(call, metadata=metadata) == grpc.StatusCode.UNAUTHENTICATED, rpc
        # Health and reflection stay open.
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=descriptor.full_name), timeout=5
        )
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("name", SERVICES)
def test_every_rpc_is_classified_in_its_service_rules(name: str) -> None:
    descriptor, rules = DESCRIPTORS[name]
    assert service_auth.unclassified(descriptor, rules) == []
    assert set(rules) <= {m.name for m in descriptor.methods}


def _wallet(address: str, caller: str, principal: Principal | None = None) -> Any:
    return wallet_service_pb2_grpc.WalletServiceStub(harness.channel(address, caller, principal))


def _refused(call: Any, request: Any, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=5)
    assert raised.value.code() == code, raised.value.details()
    return str(raised.value.details())


def test_the_wallet_applies_its_rules_to_callers_and_principals(services: dict[str, str]) -> None:
    address = services["wallet"]
    operator = _wallet(address, "gateway", harness.OPERATOR)
    operator.CreateAccount(
        wallet_service_pb2.CreateAccountRequest(
            profile=account_pb2.AccountProfile(account_id="auth-a", currency_code="USD")
        ),
        timeout=5,
    )
    money = money_pb2.Money(currency_code="USD", amount_micros=5_000_000)
    top_up = wallet_service_pb2.TopUpRequest(account_id="auth-a", amount=money, idempotency_key="k")
    # Money in: invoicing (a payment) or an operator (a transfer, with its reference).
    _refused(_wallet(address, "messaging").TopUp, top_up, grpc.StatusCode.PERMISSION_DENIED)
    owner = _wallet(address, "gateway", harness.customer("auth-a"))
    _refused(owner.TopUp, top_up, grpc.StatusCode.PERMISSION_DENIED)
    details = _refused(operator.TopUp, top_up, grpc.StatusCode.INVALID_ARGUMENT)
    assert "transfer_reference" in details
    unexplained = Principal(kind="operator", subject="usr_x", credential_id="key_x")
    transfer = wallet_service_pb2.TopUpRequest(
        account_id="auth-a", amount=money, idempotency_key="k", transfer_reference="WIRE-1"
    )
    silent = _wallet(address, "gateway", unexplained)
    assert "reason" in _refused(silent.TopUp, transfer, grpc.StatusCode.INVALID_ARGUMENT)
    operator.TopUp(transfer, timeout=5)
    paid = wallet_service_pb2.TopUpRequest(
        account_id="auth-a", amount=money, idempotency_key="p", payment_reference="pay_1"
    )
    _wallet(address, "invoicing").TopUp(paid, timeout=5)
    # Days only from invoicing; the send path only from messaging.
    days = wallet_service_pb2.AddDaysRequest(account_id="auth-a", days=30, idempotency_key="d")
    _refused(operator.AddDays, days, grpc.StatusCode.PERMISSION_DENIED)
    _wallet(address, "invoicing").AddDays(days, timeout=5)
    # A customer acts only on its own account.
    other = wallet_service_pb2.GetBalanceRequest(account_id="auth-b")
    _refused(owner.GetBalance, other, grpc.StatusCode.PERMISSION_DENIED)
    balance = owner.GetBalance(wallet_service_pb2.GetBalanceRequest(account_id="auth-a"), timeout=5)
    assert balance.balances[0].available_micros == 10_000_000
    # A principal nobody signed, or one past its time, is not believed.
    creds = harness.credentials()
    forged = service_auth.sign_principal(harness.OPERATOR, b"x" * 40, time.time())
    expired = service_auth.sign_principal(harness.OPERATOR, creds.principal_key.encode(), 0)
    for principal in (forged, expired, forged[:-3] + "abc", "p1.e30.AAAA"):
        metadata = (
            ("authorization", "Bearer " + creds.tokens["gateway"]),
            (service_auth.PRINCIPAL_METADATA, principal),
        )
        with pytest.raises(grpc.RpcError) as raised:
            wallet_service_pb2_grpc.WalletServiceStub(grpc.insecure_channel(address)).GetBalance(
                wallet_service_pb2.GetBalanceRequest(account_id="auth-a"),
                timeout=5,
                metadata=metadata,
            )
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _auth(rules: dict[str, Allow], clock: float = 1000.0) -> tuple[ServiceAuth, dict[str, str]]:
    tokens = {c: service_auth.new_token(c) for c in ("messaging", "gateway")}
    old = service_auth.new_token("messaging")
    callers = service_auth.parse_callers(
        service_auth.callers_text(tokens) + f",messaging={service_auth.token_digest(old)}"
    )
    auth = ServiceAuth(
        ServerCredentials(callers, b"k" * 40),
        service_auth.method_rules("svc.S", rules),
        lambda: clock,
    )
    return auth, {**tokens, "old": old}


def test_a_caller_is_known_by_its_token_and_a_rotated_one_works_during_the_change() -> None:
    auth, tokens = _auth({"Send": service_auth.allow("messaging")})
    for token in (tokens["messaging"], tokens["old"], tokens["messaging"]):
        identity = auth.identify("/svc.S/Send", (("authorization", f"Bearer {token}"),))
        assert identity.caller == "messaging" and identity.as_service
    with pytest.raises(PermissionDenied):
        auth.identify("/svc.S/Send", (("authorization", f"Bearer {tokens['gateway']}"),))
    with pytest.raises(PermissionDenied):
        auth.identify("/svc.S/Other", (("authorization", f"Bearer {tokens['messaging']}"),))
    with pytest.raises(Unauthenticated):
        auth.identify("/svc.S/Send", (("authorization", f"Bearer {tokens['messaging']}x"),))


def test_callers_and_keys_are_checked_when_read() -> None:
    for text in ("", "messaging", "messaging=abc", "Bad Name=" + "0" * 64, ","):
        with pytest.raises(ValueError):
            service_auth.parse_callers(text)
    with pytest.raises(ConfigError, match="BILLING_SERVICE_TOKEN"):
        service_auth.own_token(Env({"BILLING_SERVICE_TOKEN": "no-dot"}))
    with pytest.raises(ConfigError, match="BILLING_PRINCIPAL_KEY"):
        ServerCredentials.from_env(
            Env({"BILLING_CALLERS": f"a={'0' * 64}", "BILLING_PRINCIPAL_KEY": "short"})
        )


def test_the_send_path_check_is_a_lookup_and_a_compare() -> None:
    """AuthoriseSend's check: no hashing after the first call of a token."""
    auth, tokens = _auth({"AuthoriseSend": service_auth.allow("messaging")})
    metadata = (("authorization", f"Bearer {tokens['messaging']}"),)
    auth.identify("/svc.S/AuthoriseSend", metadata)
    calls = 20_000
    started = time.perf_counter()
    for _ in range(calls):
        auth.identify("/svc.S/AuthoriseSend", metadata)
    per_call_us = (time.perf_counter() - started) / calls * 1e6
    assert per_call_us < 20, per_call_us
