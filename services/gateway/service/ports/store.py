"""The gateway's own store, one unit of work per transaction: API keys, users with their
memberships and operators, failed sign-ins with the locks they led to, and users' access as
the notifications service learns it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from services.common.unit_of_work import Transaction
from services.gateway.domain.records import ApiKey, Membership, Operator, User
from services.gateway.domain.throttle import FailureState


class DuplicateEmail(Exception):
    """Another user already has this email."""


class FailuresRaced(Exception):
    """Another attempt recorded the subject's first failure at the same time: read it again."""


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

    def failures_to_update(self, subject: str) -> FailureState | None:
        """The subject's failures, locked until the unit of work ends."""
        ...

    def put_failures(self, subject: str, state: FailureState, first: bool) -> None:
        """Store the subject's failures (its `first`: none were stored); FailuresRaced when
        another attempt stored the first at the same time."""
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


class AccessRecords(Protocol):
    """Users' opt-ins to billing emails, and each membership's state published for the
    notifications service (through the outbox, with the transaction)."""

    def billing_emails(self, user_id: str, account_id: str) -> bool: ...

    def set_billing_emails(
        self, user_id: str, account_id: str, enabled: bool, now_ms: int
    ) -> None: ...

    def written_since(self, since: dt.datetime | None) -> list[tuple[str, str]]:
        """(user_id, account_id) of the memberships written since then (all for None), oldest
        first."""
        ...

    def announce(self, keys: Sequence[tuple[str, str]], version: int) -> None:
        """Publish each (user_id, account_id) membership as it is now (removed when gone),
        under `version` (nanoseconds since the epoch; the newest version wins)."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: committed by `commit`, rolled back on leaving without it."""

    keys: ApiKeys
    people: People
    sign_ins: SignIns
    access: AccessRecords


class UnitsOfWork(Protocol):
    def __call__(self) -> UnitOfWork: ...
