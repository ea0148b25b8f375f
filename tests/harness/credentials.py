"""Service credentials for tests: one set per test session, made the way `make up` makes them.

Servers started by the harness accept the standard callers (gateway, invoicing, messaging, cli).
`channel(address, caller)` calls as one caller; `trusted_channel(address)` calls each RPC as a
caller the service's own rules allow (its internal caller, else an operator through the `cli`
caller), so tests that exercise a service directly go through the real checks.
"""

from __future__ import annotations

import collections
import functools
import secrets
import time
from dataclasses import dataclass
from typing import Any

import grpc
from billing.invoicing.v1 import invoicing_service_pb2
from billing.metering.v1 import metering_service_pb2
from billing.wallet.v1 import wallet_service_pb2

from services.common import service_auth
from services.common.service_auth import Allow, Principal, ServerCredentials


@dataclass(frozen=True)
class Credentials:
    tokens: dict[str, str]
    principal_key: str

    @property
    def callers(self) -> str:
        return service_auth.callers_text(self.tokens)

    def server(self) -> ServerCredentials:
        return ServerCredentials(
            service_auth.parse_callers(self.callers), self.principal_key.encode()
        )

    def env(self, caller: str = "") -> dict[str, str]:
        """What a server needs, plus the token `caller` presents on its own calls."""
        env = {
            service_auth.CALLERS_VARIABLE: self.callers,
            service_auth.PRINCIPAL_KEY_VARIABLE: self.principal_key,
        }
        if caller in self.tokens:
            env[service_auth.TOKEN_VARIABLE] = self.tokens[caller]
        return env

    def sign(self, principal: Principal) -> str:
        return service_auth.sign_principal(principal, self.principal_key.encode(), time.time())


@functools.cache
def credentials() -> Credentials:
    tokens = {caller: service_auth.new_token(caller) for caller in service_auth.STANDARD_CALLERS}
    return Credentials(tokens, secrets.token_urlsafe(32))


OPERATOR = Principal(
    kind=service_auth.OPERATOR,
    subject="usr_tests",
    credential_id="tests",
    name="tests@provider.example",
    reason="test",
)


def customer(account_id: str, role: str = "owner") -> Principal:
    return Principal(
        kind=service_auth.CUSTOMER,
        subject=f"key_{account_id}",
        account_id=account_id,
        role=role,
        credential_id=f"key_{account_id}",
    )


@functools.cache
def service_rules() -> dict[str, Allow]:
    """Every service's rules by gRPC method path."""
    from billing.notifications.v1 import notifications_service_pb2

    from services.invoicing.entrypoints import access as invoicing_access
    from services.metering.entrypoints import access as metering_access
    from services.notifications.entrypoints import access as notifications_access
    from services.wallet.entrypoints import access as wallet_access

    rules: dict[str, Allow] = {}
    for module, descriptor in (
        (wallet_access, wallet_service_pb2.DESCRIPTOR.services_by_name["WalletService"]),
        (metering_access, metering_service_pb2.DESCRIPTOR.services_by_name["MeteringService"]),
        (
            invoicing_access,
            invoicing_service_pb2.DESCRIPTOR.services_by_name["InvoicingService"],
        ),
        (
            notifications_access,
            notifications_service_pb2.DESCRIPTOR.services_by_name["NotificationsService"],
        ),
    ):
        rules.update(service_auth.method_rules(descriptor.full_name, module.RULES))
    return rules


class _Details(
    collections.namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _AsCaller(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Presents a caller's token, and a principal, chosen per method."""

    def __init__(self, choose: Any) -> None:
        self._choose = choose

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        caller, principal = self._choose(details.method)
        metadata = list(details.metadata or ())
        creds = credentials()
        metadata.append((service_auth.AUTHORIZATION, "Bearer " + creds.tokens[caller]))
        if principal is not None:
            metadata.append((service_auth.PRINCIPAL_METADATA, creds.sign(principal)))
        return _Details(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def channel(
    address: str, caller: str = service_auth.MESSAGING, principal: Principal | None = None
) -> grpc.Channel:
    """Every call as `caller`, on behalf of `principal` when given."""
    return grpc.intercept_channel(
        grpc.insecure_channel(address), _AsCaller(lambda _method: (caller, principal))
    )


def choose(method: str) -> tuple[str, Principal | None]:
    """An internal caller the RPC allows, else an operator through the cli caller."""
    rule = service_rules().get(method)
    if rule is None:
        return service_auth.MESSAGING, None
    if rule.callers:
        return sorted(rule.callers)[0], None
    return service_auth.CLI, OPERATOR


def trusted_channel(address: str) -> grpc.Channel:
    """Each RPC as a caller its service's rules allow (see choose)."""
    return grpc.intercept_channel(grpc.insecure_channel(address), _AsCaller(choose))
