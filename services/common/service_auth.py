"""Service credentials: who may call a gRPC port, and on whose behalf.

Callers. Every process that calls a service presents a token of its own, `<caller>.<secret>`, as
the metadata `authorization: Bearer <token>` (its BILLING_SERVICE_TOKEN; grpc_client.channel adds
it). A server accepts the callers listed in BILLING_CALLERS, `name=<sha256 hex of token>,...`
(a name may be listed twice while its token is rotated); a call without a known token is
UNAUTHENTICATED. Health checks and reflection stay open.

Principals. The gateway and the `billing` command say on whose behalf they call: an operator,
or a customer's user or API key. The principal travels signed (HMAC-SHA256 with
BILLING_PRINCIPAL_KEY, valid for PRINCIPAL_TTL_S) in the metadata `billing-principal`; a service
verifies it, checks it against its rules and records it in its audit log. While serving a call,
a service forwards the principal it received on its own outgoing calls (invoicing -> wallet).

Rules. Each service declares, per RPC, which internal callers may call it as themselves and
whether an operator's or a customer's principal may; anything else is PERMISSION_DENIED, and so
is an RPC the service did not classify. A customer's principal acts only on its own account.

Cost on the send path: a call from an internal caller is one dict lookup of the RPC's rule, one
of the caller's verified token and a constant-time compare; the token's SHA-256 is computed once
per process and token, never per call. Refusals are raised as BillingError, so the error-mapping
interceptor around this one turns them into status codes like any service error.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc

from services.common.config import ConfigError, Env
from services.common.errors import PermissionDenied, Unauthenticated

TOKEN_VARIABLE = "BILLING_SERVICE_TOKEN"  # noqa: S105 (a variable name)
CALLERS_VARIABLE = "BILLING_CALLERS"
PRINCIPAL_KEY_VARIABLE = "BILLING_PRINCIPAL_KEY"
AUTHORIZATION = "authorization"
PRINCIPAL_METADATA = "billing-principal"
BEARER = "Bearer "
CALLER_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
SECRET_BYTES = 32
MIN_PRINCIPAL_KEY_LENGTH = 32
PRINCIPAL_TTL_S = 300
PRINCIPAL_PREFIX = "p1."
MAX_PRINCIPAL_LENGTH = 4096
MAX_REASON_LENGTH = 500
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

OPERATOR = "operator"
CUSTOMER = "customer"
PRINCIPAL_KINDS = (OPERATOR, CUSTOMER)

# The callers this suite's processes use; a deployment may add others (BILLING_CALLERS).
GATEWAY = "gateway"
INVOICING = "invoicing"
NOTIFICATIONS = "notifications"
MESSAGING = "messaging"
CLI = "cli"
STANDARD_CALLERS = (GATEWAY, INVOICING, NOTIFICATIONS, MESSAGING, CLI)


# --- tokens -------------------------------------------------------------------------------


def new_token(caller: str) -> str:
    """A fresh token for `caller`: `<caller>.<43 characters of base64url>`."""
    check_caller_name(caller)
    return f"{caller}.{secrets.token_urlsafe(SECRET_BYTES)}"


def token_digest(token: str) -> str:
    """What BILLING_CALLERS holds for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def caller_of(token: str) -> str:
    return token.partition(".")[0]


def check_caller_name(name: str) -> str:
    if not CALLER_NAME.fullmatch(name):
        raise ValueError(f"a caller name is 1-32 of a-z, 0-9 and -, from a letter: {name!r}")
    return name


def parse_callers(text: str) -> dict[str, tuple[bytes, ...]]:
    """`name=<sha256 hex>,...` into the digests accepted per caller name."""
    callers: dict[str, tuple[bytes, ...]] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, equals, digest = item.partition("=")
        name, digest = name.strip(), digest.strip().lower()
        check_caller_name(name)
        if not equals or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"{name}: expected name=<64 hex digits of the token's SHA-256>")
        callers[name] = (*callers.get(name, ()), bytes.fromhex(digest))
    if not callers:
        raise ValueError("lists no caller")
    return callers


def callers_text(tokens: Mapping[str, str]) -> str:
    """BILLING_CALLERS for the given tokens (caller name -> token)."""
    return ",".join(f"{caller_of(token)}={token_digest(token)}" for token in tokens.values())


def own_token(env: Env) -> str:
    """This process's token for its outgoing calls (BILLING_SERVICE_TOKEN)."""
    token = env.text(TOKEN_VARIABLE, "")
    if not token:
        raise ConfigError(
            TOKEN_VARIABLE, "required: this process's service credential for calling services"
        )
    name, dot, secret = token.partition(".")
    if not dot or not secret or not CALLER_NAME.fullmatch(name):
        raise ConfigError(TOKEN_VARIABLE, "expected <caller>.<secret>")
    return token


def principal_key(env: Env) -> bytes:
    key = env.text(PRINCIPAL_KEY_VARIABLE, "")
    if not key:
        raise ConfigError(PRINCIPAL_KEY_VARIABLE, "required: the key principals are signed with")
    if len(key) < MIN_PRINCIPAL_KEY_LENGTH:
        raise ConfigError(
            PRINCIPAL_KEY_VARIABLE, f"must be at least {MIN_PRINCIPAL_KEY_LENGTH} characters"
        )
    return key.encode()


@dataclass(frozen=True)
class ServerCredentials:
    """What a server needs to know its callers: their token digests and the principal key."""

    callers: Mapping[str, tuple[bytes, ...]]
    principal_key: bytes

    @classmethod
    def from_env(cls, env: Env) -> ServerCredentials:
        text = env.text(CALLERS_VARIABLE, "")
        if not text:
            raise ConfigError(
                CALLERS_VARIABLE,
                "required: the callers this service accepts, name=<sha256 hex of token>,...",
            )
        try:
            callers = parse_callers(text)
        except ValueError as error:
            raise ConfigError(CALLERS_VARIABLE, str(error)) from None
        return cls(callers, principal_key(env))


# --- principals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """On whose behalf a call is made: an operator, or a customer's user or API key."""

    kind: str
    # The user id, or the API key id for a key.
    subject: str
    # The customer's account; empty for operators.
    account_id: str = ""
    # The customer's role on the account (owner, admin, agent); empty for operators.
    role: str = ""
    # The credential used: an API key id, or token:<id> for a signed-in user.
    credential_id: str = ""
    # For people reading the audit log: the user's email or the key's name.
    name: str = ""
    # Why the caller acts, as given with the request.
    reason: str = ""
    expire_unix_s: int = 0

    def __post_init__(self) -> None:
        if self.kind not in PRINCIPAL_KINDS:
            raise ValueError(f"a principal is an {OPERATOR} or a {CUSTOMER}, not {self.kind!r}")
        if not self.subject:
            raise ValueError("a principal has a subject")
        if (self.kind == CUSTOMER) != bool(self.account_id):
            raise ValueError("a customer's principal names its account; an operator's does not")
        if len(self.reason) > MAX_REASON_LENGTH:
            raise ValueError(f"a reason has at most {MAX_REASON_LENGTH} characters")

    @property
    def is_operator(self) -> bool:
        return self.kind == OPERATOR


def sign_principal(
    principal: Principal, key: bytes, now_unix_s: float, ttl_s: int = PRINCIPAL_TTL_S
) -> str:
    claims = {
        "k": principal.kind,
        "sub": principal.subject,
        "acc": principal.account_id,
        "role": principal.role,
        "cred": principal.credential_id,
        "name": principal.name,
        "why": principal.reason,
        "exp": int(now_unix_s) + ttl_s,
    }
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=True).encode()
    body = PRINCIPAL_PREFIX + _b64(payload)
    return f"{body}.{_b64(_mac(key, body))}"


def verify_principal(text: str, key: bytes, now_unix_s: float) -> Principal:
    if len(text) > MAX_PRINCIPAL_LENGTH:
        raise Unauthenticated("invalid principal")
    body, dot, signature = text.rpartition(".")
    if not dot or not body.startswith(PRINCIPAL_PREFIX):
        raise Unauthenticated("invalid principal")
    try:
        given = _unb64(signature)
    except ValueError:
        raise Unauthenticated("invalid principal") from None
    if not hmac.compare_digest(given, _mac(key, body)):
        raise Unauthenticated("invalid principal signature")
    try:
        claims = json.loads(_unb64(body[len(PRINCIPAL_PREFIX) :]))
        principal = Principal(
            kind=str(claims["k"]),
            subject=str(claims["sub"]),
            account_id=str(claims.get("acc", "")),
            role=str(claims.get("role", "")),
            credential_id=str(claims.get("cred", "")),
            name=str(claims.get("name", "")),
            reason=str(claims.get("why", "")),
            expire_unix_s=int(claims["exp"]),
        )
    except (ValueError, KeyError, TypeError):
        raise Unauthenticated("invalid principal") from None
    if principal.expire_unix_s <= now_unix_s:
        raise Unauthenticated("principal expired")
    return principal


# --- rules and identity -------------------------------------------------------------------


@dataclass(frozen=True)
class Allow:
    """Who may call one RPC."""

    # Internal callers that may call it as themselves (no principal needed).
    callers: frozenset[str] = frozenset()
    # An operator's principal may call it.
    operator: bool = False
    # A customer's principal may call it (the gateway has applied the finer rules).
    customer: bool = False


def allow(*callers: str, operator: bool = False, customer: bool = False) -> Allow:
    return Allow(frozenset(check_caller_name(c) for c in callers), operator, customer)


OPERATORS = allow(operator=True)
CUSTOMERS_AND_OPERATORS = allow(operator=True, customer=True)


@dataclass(frozen=True)
class Identity:
    """Who makes the call being served."""

    caller: str
    principal: Principal | None = None
    # True when the RPC allows `caller` as an internal caller in its own right.
    as_service: bool = False
    # The signed principal as received, forwarded on the calls made while serving this one.
    forwarded: str = field(default="", repr=False)

    @property
    def operator(self) -> bool:
        return self.principal is not None and self.principal.kind == OPERATOR

    @property
    def customer(self) -> bool:
        return self.principal is not None and self.principal.kind == CUSTOMER

    @property
    def reason(self) -> str:
        return self.principal.reason if self.principal is not None else ""


_CURRENT: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "billing_identity", default=None
)


def current_identity() -> Identity | None:
    """The identity of the gRPC call this thread is serving, or None outside one."""
    return _CURRENT.get()


def acting_as(identity: Identity | None) -> contextvars.Token[Identity | None]:
    """Serve as `identity` until reset(token) (for work done outside a gRPC handler)."""
    return _CURRENT.set(identity)


def reset(token: contextvars.Token[Identity | None]) -> None:
    _CURRENT.reset(token)


def method_rules(service: str, rules: Mapping[str, Allow]) -> dict[str, Allow]:
    """Rules by RPC name into rules by gRPC method path (/package.Service/Rpc)."""
    return {f"/{service}/{name}": rule for name, rule in rules.items()}


def unclassified(service_descriptor: Any, rules: Mapping[str, Allow]) -> list[str]:
    """The RPCs of a service descriptor that its rules do not list."""
    return sorted(m.name for m in service_descriptor.methods if m.name not in rules)


class ServiceAuth:
    """Identifies the caller and the principal of a call, and applies the service's rules."""

    def __init__(
        self,
        credentials: ServerCredentials,
        rules: Mapping[str, Allow],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._digests = dict(credentials.callers)
        self._principal_key = credentials.principal_key
        self._rules = dict(rules)
        self._clock = clock
        # Tokens already proven against their digest, per caller name.
        self._verified: dict[str, tuple[bytes, ...]] = {}
        self._as_service = {name: Identity(name, as_service=True) for name in self._digests}

    def identify(self, method: str, metadata: Any) -> Identity:
        """The identity a call is served as; Unauthenticated or PermissionDenied otherwise."""
        token = principal_text = ""
        for key, value in metadata or ():
            if key == AUTHORIZATION:
                token = value
            elif key == PRINCIPAL_METADATA:
                principal_text = value
        caller = self._caller(token)
        rule = self._rules.get(method)
        if rule is None:
            raise PermissionDenied(f"{method} is not open to any caller")
        if not principal_text:
            if caller in rule.callers:
                return self._as_service[caller]
            raise PermissionDenied(f"the {caller} service may not call {method}")
        if not isinstance(principal_text, str):
            raise Unauthenticated("invalid principal")
        principal = verify_principal(principal_text, self._principal_key, self._clock())
        if caller in rule.callers:
            return Identity(caller, principal, True, principal_text)
        if (rule.operator and principal.kind == OPERATOR) or (
            rule.customer and principal.kind == CUSTOMER
        ):
            return Identity(caller, principal, False, principal_text)
        raise PermissionDenied(
            f"{'an' if principal.is_operator else 'a'} {principal.kind} may not call {method}"
        )

    def _caller(self, authorization: Any) -> str:
        if not authorization or not isinstance(authorization, str):
            raise Unauthenticated(
                "a service credential is required: metadata authorization: Bearer <token>"
            )
        token = authorization[len(BEARER) :] if authorization.startswith(BEARER) else authorization
        name = token.partition(".")[0]
        presented = token.encode()
        for known in self._verified.get(name, ()):
            if hmac.compare_digest(known, presented):
                return name
        digests = self._digests.get(name, ())
        digest = hashlib.sha256(presented).digest()
        if not any(hmac.compare_digest(digest, expected) for expected in digests):
            raise Unauthenticated("invalid service credential")
        self._verified[name] = (*self._verified.get(name, ()), presented)[-len(digests) :]
        return name


class ServiceAuthInterceptor(grpc.ServerInterceptor):
    """Every call but health and reflection is identified before its handler runs.

    Must sit inside the interceptor that maps BillingError to status codes. The handler of a
    call made by an internal caller in its own right (the send path) is wrapped once per RPC
    and caller, then reused.
    """

    def __init__(self, auth: ServiceAuth) -> None:
        self._auth = auth
        # (method, caller) -> (the handler wrapped, the wrapped handler)
        self._wrapped: dict[tuple[str, str], tuple[Any, Any]] = {}

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        method = handler_call_details.method
        if method.startswith(OPEN_METHOD_PREFIXES):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        try:
            identity = self._auth.identify(method, handler_call_details.invocation_metadata)
        except (Unauthenticated, PermissionDenied) as error:
            return _with_behaviour(handler, functools.partial(_refuse, error))
        if identity.principal is not None:
            return _as(handler, identity)
        key = (method, identity.caller)
        cached = self._wrapped.get(key)
        if cached is None or cached[0] is not handler:
            cached = (handler, _as(handler, identity))
            self._wrapped[key] = cached
        return cached[1]


def _as(handler: Any, identity: Identity) -> Any:
    """The handler, run as `identity`."""
    run = _stream_as if handler.response_streaming else _call_as
    return _with_behaviour(handler, functools.partial(run, identity))


def _with_behaviour(handler: Any, wrap: Callable[..., Any]) -> Any:
    """The handler with its behaviour `b` replaced by `wrap(b, request, context)`."""
    kinds = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
    replaced = {
        kind: functools.partial(wrap, getattr(handler, kind))
        for kind in kinds
        if getattr(handler, kind) is not None
    }
    return handler._replace(**replaced)


def _refuse(error: Exception, _behaviour: Any, _request: Any, _context: Any) -> Any:
    raise error


def _check_scope(identity: Identity, request: Any) -> None:
    principal = identity.principal
    if principal is None or principal.kind != CUSTOMER or identity.as_service:
        return
    account_id = getattr(request, "account_id", None)
    if isinstance(account_id, str) and account_id != principal.account_id:
        raise PermissionDenied("a customer acts only on its own account")


def _call_as(identity: Identity, behaviour: Callable[..., Any], request: Any, context: Any) -> Any:
    _check_scope(identity, request)
    token = _CURRENT.set(identity)
    try:
        return behaviour(request, context)
    finally:
        _CURRENT.reset(token)


def _stream_as(
    identity: Identity, behaviour: Callable[..., Any], request: Any, context: Any
) -> Iterator[Any]:
    _check_scope(identity, request)
    token = _CURRENT.set(identity)
    try:
        yield from behaviour(request, context)
    finally:
        _CURRENT.reset(token)


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
