"""How `billing` commands act: as the `cli` caller on the gRPC ports, on behalf of the operator
running them, and as that operator in the gateway's audit log.

The token is BILLING_SERVICE_TOKEN, else the `cli` token that `make up` keeps in the data folder
(BILLING_DATA_DIR/credentials.json); the principal key likewise (BILLING_PRINCIPAL_KEY). The
operator is named by BILLING_OPERATOR (e.g. an email), else the login name.
"""

from __future__ import annotations

import getpass
import time

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


def channel(env: Env, address: str) -> grpc.Channel:
    return grpc_client.channel(address, token=token(env))


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
