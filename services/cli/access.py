"""How `billing` commands act: as the `cli` caller on the gRPC ports, on behalf of the operator
running them, and as that operator in the gateway's audit log.

The token is BILLING_SERVICE_TOKEN, else the `cli` token that `make up` keeps in the data folder
(BILLING_DATA_DIR/credentials.json); the principal key likewise (BILLING_PRINCIPAL_KEY). The
operator is named by BILLING_OPERATOR (e.g. an email), else the login name.
"""

from __future__ import annotations

import collections
import getpass
import time
from typing import Any

import grpc

from services.common import grpc_client, local_credentials, service_auth
from services.common.audit import OPERATOR, Actor
from services.common.config import ConfigError, Env, data_dir

CLI_CREDENTIAL = "cli"


def operator_name(env: Env) -> str:
    name = env.text("BILLING_OPERATOR", "")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def actor(env: Env) -> Actor:
    """The operator running the command, for the gateway's audit log."""
    name = operator_name(env)
    return Actor(OPERATOR, f"cli:{name}", name, CLI_CREDENTIAL, service_auth.CLI)


def token(env: Env) -> str:
    if env.text(service_auth.TOKEN_VARIABLE, ""):
        return service_auth.own_token(env)
    found = local_credentials.load(data_dir(env))
    if found is None or service_auth.CLI not in found.tokens:
        raise ConfigError(
            service_auth.TOKEN_VARIABLE,
            "required: the cli's service credential (or run `make up` once, which keeps one "
            f"in {local_credentials.path(data_dir(env))})",
        )
    return found.tokens[service_auth.CLI]


def principal_key(env: Env) -> bytes:
    if env.text(service_auth.PRINCIPAL_KEY_VARIABLE, ""):
        return service_auth.principal_key(env)
    found = local_credentials.load(data_dir(env))
    if found is None:
        raise ConfigError(service_auth.PRINCIPAL_KEY_VARIABLE, "required to call services")
    return found.principal_key.encode()


def channel(
    env: Env,
    address: str,
    reason: str = "",
    default_timeout_s: float = grpc_client.DEFAULT_TIMEOUT_S,
) -> grpc.Channel:
    """A channel whose every call presents the cli token and, unless the call names one, the
    running operator's principal with `reason` (signed afresh per call)."""
    signer = _OperatorPrincipal(env, reason)
    plain = grpc_client.channel(address, default_timeout_s, token(env))
    return grpc.intercept_channel(plain, signer)


class _Details(
    collections.namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _OperatorPrincipal(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, env: Env, reason: str) -> None:
        self._env = env
        self._reason = reason
        principal_key(env)  # a missing key is a ConfigError now, not at the first call

    def _details(self, details: Any) -> Any:
        metadata = list(details.metadata or ())
        if not any(key == service_auth.PRINCIPAL_METADATA for key, _ in metadata):
            metadata += operator_metadata(self._env, self._reason)
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


def operator_metadata(env: Env, reason: str = "") -> tuple[tuple[str, str | bytes], ...]:
    """The signed principal of the operator running the command."""
    name = operator_name(env)
    principal = service_auth.Principal(
        kind=service_auth.OPERATOR,
        subject=f"cli:{name}",
        credential_id=CLI_CREDENTIAL,
        name=name,
        reason=reason,
    )
    signed = service_auth.sign_principal(principal, principal_key(env), time.time())
    return ((service_auth.PRINCIPAL_METADATA, signed),)
