"""Administration use cases behind the `billing apikey`, `billing user` and `billing operator`
commands. Each change is written to the gateway's audit log, as the acting operator's."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from services.common import validation
from services.common.audit import Actor, Entry
from services.common.clock import Clock, SystemClock, moment
from services.common.errors import InvalidArgument, NotFound
from services.gateway.domain import credentials
from services.gateway.domain.access import Role
from services.gateway.domain.records import ApiKey, Membership, Operator, User
from services.gateway.domain.throttle import USER
from services.gateway.service.ports.audit import Audit
from services.gateway.service.ports.store import DuplicateEmail, UnitsOfWork

MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    api_key: str


class Administration:
    def __init__(
        self,
        units: UnitsOfWork,
        audit: Audit | None = None,
        actor: Actor | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._units = units
        self._clock = clock or SystemClock()
        self._audit = audit
        self._actor = actor or Actor("system", "administration")

    def create_api_key(
        self, account_id: str, role: Role | None, name: str, billing_access: bool
    ) -> CreatedKey:
        """An account key (account and role) or, with no account, a named operator key."""
        operator = not account_id
        if not operator:
            validation.require_id(account_id, "account")
            if role is None:
                raise InvalidArgument("role", "is required for an account key")
        else:
            if role is not None or billing_access:
                raise InvalidArgument("role", "an operator's key has no role")
            validation.text(name, "name", required=True, max_length=MAX_NAME_LENGTH)
        validation.text(name, "name", max_length=MAX_NAME_LENGTH)
        fresh = credentials.new_api_key()
        key = ApiKey(
            key_id=fresh.key_id,
            account_id=account_id,
            operator=operator,
            role=role,
            billing_access=billing_access or role is Role.OWNER,
            name=name,
            secret_sha256=fresh.secret_sha256,
        )
        with self._units() as uow:
            uow.keys.add_api_key(key)
            uow.commit()
        self._record("api_key_created", account_id, key.key_id, after=key_summary(key))
        return CreatedKey(key, fresh.api_key)

    def revoke_api_key(self, key_id: str) -> ApiKey:
        """Revoking twice answers the same."""
        # Reads and writes go in units of their own: SQLite cannot make a transaction that
        # has read into a writer once another has written meanwhile.
        with self._units() as uow:
            before = uow.keys.api_key(key_id)
        with self._units() as uow:
            key = uow.keys.revoke_api_key(key_id, self._now())
            uow.commit()
        if key is None:
            raise NotFound(f"no API key {key_id!r}")
        if before is not None and not before.revoked:
            self._record(
                "api_key_revoked",
                key.account_id,
                key_id,
                before=key_summary(before),
                after=key_summary(key),
            )
        return key

    def list_api_keys(self, account_id: str | None) -> list[ApiKey]:
        with self._units() as uow:
            return uow.keys.list_api_keys(account_id)

    def add_user(
        self, email: str, password: str, account_id: str, role: Role, billing_access: bool
    ) -> tuple[Membership, str]:
        """Creates the user if new and gives them the role on the account.

        Returns the membership and the password to hand over (generated when none is given;
        empty for an existing user, whose password is unchanged).
        """
        email = _email(email)
        validation.require_id(account_id, "account")
        with self._units() as uow:
            existing = uow.people.user_by_email(email)
            operator = uow.people.operator(existing.user_id) if existing else None
        if operator is not None:
            raise InvalidArgument("email", "belongs to an operator, who has no account role")
        user, handed_over = self._user(email, password)
        membership = Membership(
            user.user_id, account_id, role, billing_access or role is Role.OWNER, email
        )
        with self._units() as uow:
            uow.people.put_membership(membership, self._now())
            uow.commit()
        self._record(
            "teammate_added",
            account_id,
            user.user_id,
            after={"email": email, "role": role.value, "billing_access": membership.billing_access},
        )
        return membership, handed_over

    def add_operator(self, email: str, name: str, password: str) -> tuple[Operator, str]:
        """Creates the user if new and makes them an operator; returns the password to hand
        over (as add_user)."""
        email = _email(email)
        validation.text(name, "name", max_length=MAX_NAME_LENGTH)
        with self._units() as uow:
            existing = uow.people.user_by_email(email)
            memberships = uow.people.memberships_of(existing.user_id) if existing else []
        if memberships:
            raise InvalidArgument("email", "has a role on an account: use another email")
        user, handed_over = self._user(email, password)
        with self._units() as uow:
            uow.people.put_operator(user.user_id, name or email, self._now())
            operator = uow.people.operator(user.user_id)
            uow.commit()
        if operator is None:
            raise NotFound(f"operator {email} was not saved")
        self._record("operator_added", "", user.user_id, after={"email": email, "name": name})
        return operator, handed_over

    def remove_operator(self, email: str) -> Operator:
        """The operator's tokens stop working within GATEWAY_AUTH_CACHE_SECONDS; removing
        twice answers the same."""
        with self._units() as uow:
            user = uow.people.user_by_email(_email(email))
            operator = uow.people.operator(user.user_id) if user else None
        if user is None or operator is None:
            raise NotFound(f"no operator {email!r}")
        with self._units() as uow:
            removed_now = uow.people.remove_operator(user.user_id, self._now())
            removed = uow.people.operator(user.user_id)
            uow.commit()
        if removed_now:
            self._record("operator_removed", "", user.user_id, before={"email": operator.email})
        return removed or operator

    def list_operators(self) -> list[Operator]:
        with self._units() as uow:
            return uow.people.operators()

    def unlock_sign_in(self, email: str) -> None:
        """Forget a user's failed sign-ins (their lock ends now)."""
        email = _email(email)
        with self._units() as uow:
            uow.sign_ins.forget_failures(f"{USER}:{email}")
            user = uow.people.user_by_email(email)
            uow.commit()
        self._record("sign_in_unlocked", "", user.user_id if user else email)

    def _now(self) -> dt.datetime:
        return moment(self._clock)

    def _user(self, email: str, password: str) -> tuple[User, str]:
        with self._units() as uow:
            user = uow.people.user_by_email(email)
        if user is not None:
            return user, ""
        handed_over = password or secrets.token_urlsafe(18)
        user = User("usr_" + secrets.token_hex(8), email, credentials.hash_password(handed_over))
        try:
            with self._units() as uow:
                uow.people.add_user(user)
                uow.commit()
        except DuplicateEmail:
            raise InvalidArgument("email", "is already registered") from None
        return user, "" if password else handed_over

    def _record(
        self,
        action: str,
        account_id: str,
        target: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        if self._audit is None:
            return
        self._audit.record(
            Entry(action, account_id, self._actor, "", target, before=before, after=after)
        )


def key_summary(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "account_id": key.account_id,
        "operator": key.operator,
        "role": key.role.value if key.role else "",
        "billing_access": key.billing_access,
        "name": key.name,
        "revoked": key.revoked,
    }


def _email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > MAX_EMAIL_LENGTH or not email.isprintable():
        raise InvalidArgument("email", "expected an email address")
    return email
