"""What the endpoint use cases take and give back: plain values, no protobuf. The gRPC edge
builds the commands from requests and the responses from the results."""

from __future__ import annotations

from dataclasses import dataclass

# Commands


@dataclass(frozen=True)
class NewEndpoint:
    account_id: str
    url: str
    description: str = ""
    event_types: tuple[str, ...] = ()
    idempotency_key: str | None = None


@dataclass(frozen=True)
class EndpointRef:
    account_id: str
    endpoint_id: str


@dataclass(frozen=True)
class EndpointChange:
    """Fields left None are not changed."""

    account_id: str
    endpoint_id: str
    url: str | None = None
    description: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class SecretRotation:
    account_id: str
    endpoint_id: str
    overlap_seconds: int = 0  # 0: the default overlap
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PageRequest:
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class DeliveryQuery:
    account_id: str
    endpoint_id: str
    state: str | None = None  # None: every state
    page: PageRequest = PageRequest()


@dataclass(frozen=True)
class DeliveryRef:
    account_id: str
    endpoint_id: str
    delivery_id: str


@dataclass(frozen=True)
class FailedReplay:
    account_id: str
    endpoint_id: str
    since_ms: int


@dataclass(frozen=True)
class UserAccess:
    """One version of a user's membership of an account, as the gateway announces it."""

    user_id: str
    account_id: str
    email: str
    role: str
    billing_access: bool
    billing_emails: bool
    removed: bool
    version: int


# Results


@dataclass(frozen=True)
class EndpointView:
    endpoint_id: str
    account_id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str
    failing_since_ms: int | None
    created_ms: int
    updated_ms: int


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: EndpointView
    secret: str


@dataclass(frozen=True)
class RotatedSecret:
    endpoint: EndpointView
    secret: str
    previous_secret_expire_ms: int


@dataclass(frozen=True)
class EndpointPage:
    endpoints: tuple[EndpointView, ...]
    next_page_token: str


@dataclass(frozen=True)
class AttemptView:
    status_code: int
    latency_ms: int
    response_excerpt: str
    attempted_ms: int


@dataclass(frozen=True)
class DeliveryView:
    delivery_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    state: str  # pending, succeeded or failed
    attempt_count: int
    created_ms: int
    next_attempt_ms: int | None  # only while pending
    attempts: tuple[AttemptView, ...]


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: tuple[DeliveryView, ...]
    next_page_token: str
