"""The gateway's settings, from environment variables with safe defaults."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from services.common import config, service_auth
from services.common.config import ConfigError, Env
from services.gateway.domain.throttle import Limits, ThrottlePolicy

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
    # The gateway's own service credential, and the key it signs principals with.
    service_token: str
    principal_key: bytes
    # Requests per second per credential (0: no limit), and how many at once.
    rate_limit_per_s: float
    rate_limit_burst: int
    sign_in: ThrottlePolicy
    # Trusted proxies in front of the gateway (X-Forwarded-For), for the caller's address.
    forwarded_hops: int
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
            service_token=service_auth.own_token(env),
            principal_key=service_auth.principal_key(env),
            rate_limit_per_s=env.seconds("GATEWAY_RATE_LIMIT_PER_SECOND", 50.0),
            rate_limit_burst=env.integer("GATEWAY_RATE_LIMIT_BURST", 100, minimum=1),
            sign_in=sign_in_policy(env),
            forwarded_hops=env.integer("GATEWAY_FORWARDED_HOPS", 0, maximum=10),
            payments_provider=env.choice("PAYMENTS_PROVIDER", "none", PAYMENTS_PROVIDERS),
        )


def sign_in_policy(env: Env) -> ThrottlePolicy:
    """GATEWAY_SIGN_IN_*: when failed sign-ins slow down, then lock, per user and address."""
    prefix = "GATEWAY_SIGN_IN_"
    user = Limits(
        env.integer(f"{prefix}FREE_FAILURES", 3, maximum=1000),
        env.integer(f"{prefix}LOCK_AFTER", 10, minimum=1, maximum=10_000),
    )
    address = Limits(
        env.integer(f"{prefix}ADDRESS_FREE_FAILURES", 20, maximum=100_000),
        env.integer(f"{prefix}ADDRESS_LOCK_AFTER", 100, minimum=1, maximum=1_000_000),
    )
    return ThrottlePolicy(
        user=user,
        address=address,
        base_delay_s=env.seconds(f"{prefix}DELAY_SECONDS", 1.0),
        max_delay_s=env.seconds(f"{prefix}MAX_DELAY_SECONDS", 60.0),
        lock_s=env.seconds(f"{prefix}LOCK_SECONDS", 900.0),
        window_s=env.seconds(f"{prefix}WINDOW_SECONDS", 900.0),
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
