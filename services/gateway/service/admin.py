"""Administration use cases behind the `billing apikey` and `billing user` commands."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from services.common import validation
from services.common.errors import InvalidArgument, NotFound
from services.gateway.adapters.store import DuplicateEmail, Store
from services.gateway.domain import credentials
from services.gateway.domain.access import Role
from services.gateway.domain.records import ApiKey, Membership, User

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    api_key: str


class Administration:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create_api_key(
        self, account_id: str, role: Role | None, name: str, billing_access: bool
    ) -> CreatedKey:
        """An account key (account and role) or, with no account, a platform key."""
        platform = not account_id
        if not platform:
            validation.require_id(account_id, "account")
            if role is None:
                raise InvalidArgument("role", "is required for an account key")
        elif role is not None or billing_access:
            raise InvalidArgument("role", "a platform key has no role")
        validation.text(name, "name", max_length=MAX_NAME_LENGTH)
        fresh = credentials.new_api_key()
        key = ApiKey(
            key_id=fresh.key_id,
            account_id=account_id,
            platform=platform,
            role=role,
            billing_access=billing_access or role is Role.OWNER,
            name=name,
            secret_sha256=fresh.secret_sha256,
        )
        self._store.add_api_key(key)
        return CreatedKey(key, fresh.api_key)

    def revoke_api_key(self, key_id: str) -> ApiKey:
        """Revoking twice answers the same."""
        key = self._store.revoke_api_key(key_id, dt.datetime.now(dt.UTC))
        if key is None:
            raise NotFound(f"no API key {key_id!r}")
        return key

    def list_api_keys(self, account_id: str | None) -> list[ApiKey]:
        return self._store.list_api_keys(account_id)

    def add_user(
        self, email: str, password: str, account_id: str, role: Role, billing_access: bool
    ) -> tuple[Membership, str]:
        """Creates the user if new and gives them the role on the account.

        Returns the membership and the password to hand over (generated when none is given;
        empty for an existing user, whose password is unchanged).
        """
        email = email.strip().lower()
        if "@" not in email or len(email) > 320:
            raise InvalidArgument("email", "expected an email address")
        validation.require_id(account_id, "account")
        user = self._store.user_by_email(email)
        handed_over = ""
        if user is None:
            handed_over = password or secrets.token_urlsafe(18)
            user = User(
                "usr_" + secrets.token_hex(8), email, credentials.hash_password(handed_over)
            )
            try:
                self._store.add_user(user)
            except DuplicateEmail:
                raise InvalidArgument("email", "is already registered") from None
            if password:
                handed_over = ""
        membership = Membership(
            user.user_id, account_id, role, billing_access or role is Role.OWNER, email
        )
        self._store.put_membership(membership, dt.datetime.now(dt.UTC))
        return membership, handed_over
