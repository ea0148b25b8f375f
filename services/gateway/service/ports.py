"""What the gateway's use cases need from the outside, as ports: its own store of keys, users,
memberships, operators and sign-in failures; its audit log; the events it publishes about
users' access; the audit logs the services keep; the services behind it. Adapters implement
them and the bootstrap wires them; tests may wire the same ports with other implementations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from services.common.audit import Entry
from services.gateway.domain.records import ApiKey, Membership, Operator, User
from services.gateway.domain.throttle import FailureState
from services.gateway.transcoding.routes import Route


class DuplicateEmail(Exception):
    """Another user already has this email."""


class ApiKeys(Protocol):
    def api_key(self, key_id: str) -> ApiKey | None: ...

    def add_api_key(self, key: ApiKey) -> None: ...

    def revoke_api_key(self, key_id: str, now: dt.datetime) -> ApiKey | None:
        """Marks the key revoked (once); the key, or None when there is no such key."""
        ...

    def list_api_keys(self, account_id: str | None) -> list[ApiKey]: ...


class People(Protocol):
    """Users, their memberships of accounts, and operators."""

    def user_by_email(self, email: str) -> User | None: ...

    def add_user(self, user: User) -> None:
        """DuplicateEmail when another user has the email."""
        ...

    def put_membership(self, membership: Membership, now: dt.datetime) -> None: ...

    def membership(self, user_id: str, account_id: str) -> Membership | None: ...

    def memberships_of(self, user_id: str) -> list[Membership]: ...

    def members(self, account_id: str) -> list[Membership]: ...

    def delete_membership(self, user_id: str, account_id: str) -> None: ...

    def operator(self, user_id: str) -> Operator | None:
        """The operator, active or removed; None when the user never was one."""
        ...

    def operators(self) -> list[Operator]: ...

    def put_operator(self, user_id: str, name: str, now: dt.datetime) -> None: ...

    def remove_operator(self, user_id: str, now: dt.datetime) -> bool:
        """True when the operator was active until now."""
        ...


class SignIns(Protocol):
    """Failed sign-ins per subject ("user:<email>", "address:<ip>") and the locks they led to."""

    def failures(self, subject: str) -> FailureState | None: ...

    def record_failure(
        self, subject: str, update: Callable[[FailureState | None], FailureState]
    ) -> tuple[FailureState | None, FailureState]:
        """Apply `update` to the subject's failures atomically; (before, after)."""
        ...

    def forget_failures(self, subject: str) -> None: ...

    def add_lock(
        self,
        subject: str,
        user: User | None,
        failures: int,
        locked_at: dt.datetime,
        locked_until: dt.datetime,
    ) -> str:
        """Record a lock (a user's is published for the notifications service, once)."""
        ...


class GatewayStore(ApiKeys, People, SignIns, Protocol):
    """The gateway's own store, all of it."""


class Audit(Protocol):
    """The gateway's own audit log."""

    def record(self, entry: Entry) -> bool: ...

    def list_messages(
        self, account_id: str, page_size: int, page_token: str
    ) -> tuple[list[Any], str]:
        """One page of entries, newest first, and the next page's token."""
        ...


class AuditSources(Protocol):
    """The audit logs the backend services keep."""

    def services(self) -> list[str]:
        """The services that keep an audit log and are configured here."""
        ...

    async def page(
        self,
        service: str,
        account_id: str,
        page_size: int,
        page_token: str,
        metadata: list[tuple[str, str]],
    ) -> tuple[list[Any], str]:
        """One page of the service's entries, newest first, and its next page's token."""
        ...


class AccessEvents(Protocol):
    """Users' access as the notifications service learns it, and users' opt-ins to billing
    emails (published with each change)."""

    def billing_emails(self, user_id: str, account_id: str) -> bool: ...

    def set_billing_emails(self, user_id: str, account_id: str, enabled: bool) -> None: ...

    def changed(self, user_id: str, account_id: str) -> None:
        """A membership changed (or went): announce what it is now."""
        ...

    def resync(self) -> int:
        """Announce the memberships written since the last resync (all, the first time)."""
        ...


class Backends(Protocol):
    """The services behind the gateway. What travels is the contracts' own messages: the
    gateway transcodes JSON into a route's request message and its response back, so these
    calls take and return protobuf messages as they are."""

    def start(self) -> None:
        """Open the connections, in the serving event loop."""
        ...

    async def close(self, grace_s: float) -> None: ...

    def call(self, route: Route) -> Any:
        """The route's RPC: awaited for a unary answer, iterated for a server stream."""
        ...

    async def unary(
        self,
        service: str,
        method: str,
        request: Any,
        response_class: Any,
        timeout_s: float,
        metadata: list[tuple[str, str]],
    ) -> Any:
        """One unary call by name, for the gateway's own routes."""
        ...

    async def health(self, timeout_s: float) -> dict[str, str]:
        """Each service's health status by service name."""
        ...
