"""The gateway's settings, from environment variables with safe defaults."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from services.common import config
from services.common.config import ConfigError, Env

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
# Backend addresses by the service's package segment: billing.<name>.v1.
DEFAULT_BACKENDS = {
    "metering": "127.0.0.1:50051",
    "wallet": "127.0.0.1:50052",
    "invoicing": "127.0.0.1:50053",
    "notifications": "127.0.0.1:50054",
}
PAYMENTS_PROVIDERS = ("none", "fake", "stripe")
TOKEN_SECRET_VARIABLE = "GATEWAY_TOKEN_SECRET"  # noqa: S105 (a variable name)
MIN_TOKEN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class GatewaySettings:
    host: str
    port: int
    database_url: str
    # Backend address by gRPC service full name.
    backends: dict[str, str]
    max_body_bytes: int
    rpc_timeout_s: float
    stream_timeout_s: float
    readiness_timeout_s: float
    token_secret: bytes
    token_ttl_s: int
    auth_cache_s: float
    grace_seconds: float
    drain_delay_seconds: float
    # Who takes card payments (the console allows Stripe.js only for "stripe").
    payments_provider: str = "none"

    @classmethod
    def from_env(cls, env: Env, services: Iterable[str]) -> GatewaySettings:
        return cls(
            host=env.text("GATEWAY_HOST", "0.0.0.0"),
            port=env.integer("GATEWAY_PORT", DEFAULT_PORT, minimum=0, maximum=65535),
            database_url=config.database_url(env, "gateway"),
            backends={name: backend_address(env, name) for name in services},
            max_body_bytes=env.integer(
                "GATEWAY_MAX_BODY_BYTES", 1 << 20, minimum=1024, maximum=64 << 20
            ),
            rpc_timeout_s=_positive(env, "GATEWAY_RPC_TIMEOUT_SECONDS", 10.0),
            stream_timeout_s=_positive(env, "GATEWAY_STREAM_TIMEOUT_SECONDS", 300.0),
            readiness_timeout_s=_positive(env, "GATEWAY_READINESS_TIMEOUT_SECONDS", 1.0),
            token_secret=token_secret(env),
            token_ttl_s=env.integer("GATEWAY_TOKEN_TTL_SECONDS", 900, minimum=60, maximum=86_400),
            auth_cache_s=env.seconds("GATEWAY_AUTH_CACHE_SECONDS", 2.0),
            grace_seconds=env.seconds("SHUTDOWN_GRACE_SECONDS", 10.0),
            drain_delay_seconds=env.seconds("SHUTDOWN_DRAIN_DELAY_SECONDS", 0.0),
            payments_provider=env.choice("PAYMENTS_PROVIDER", "none", PAYMENTS_PROVIDERS),
        )


def backend_address(env: Env, service_full_name: str) -> str:
    """<NAME>_ADDRESS for the service billing.<name>.v1.<Service>, validated as host:port."""
    parts = service_full_name.split(".")
    name = parts[1] if len(parts) > 2 else parts[0]
    variable = f"{name.upper()}_ADDRESS"
    default = DEFAULT_BACKENDS.get(name, "")
    address = env.text(variable, default)
    if not address:
        raise ConfigError(variable, f"required: the address of {service_full_name}")
    host, colon, port = address.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(variable, f"expected host:port, got {address!r}")
    return address


def token_secret(env: Env) -> bytes:
    text = env.text(TOKEN_SECRET_VARIABLE, "")
    if not text:
        log.warning(
            "no %s: tokens are signed with a random secret and end with this process",
            TOKEN_SECRET_VARIABLE,
        )
        return secrets.token_bytes(32)
    if len(text) < MIN_TOKEN_SECRET_LENGTH:
        raise ConfigError(
            TOKEN_SECRET_VARIABLE, f"must be at least {MIN_TOKEN_SECRET_LENGTH} characters"
        )
    return text.encode()


def _positive(env: Env, name: str, default: float) -> float:
    value = env.seconds(name, default)
    if value <= 0:
        raise ConfigError(name, "must be greater than zero")
    return value
