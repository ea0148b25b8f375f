"""What the gateway keeps: API keys, users, their memberships, and operators."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.domain.access import Principal, Role


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    # Empty for an operator's key.
    account_id: str
    operator: bool
    role: Role | None
    billing_access: bool
    name: str
    secret_sha256: str
    revoked: bool = False

    def principal(self) -> Principal:
        return Principal(
            subject=self.key_id,
            account_id=self.account_id,
            role=self.role,
            billing_access=self.billing_access,
            operator=self.operator,
            credential_id=self.key_id,
            name=self.name,
        )


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    password_hash: str


@dataclass(frozen=True)
class Membership:
    user_id: str
    account_id: str
    role: Role
    billing_access: bool
    email: str = ""

    def principal(self, credential_id: str = "") -> Principal:
        return Principal(
            subject=self.user_id,
            account_id=self.account_id,
            role=self.role,
            billing_access=self.billing_access,
            credential_id=credential_id,
            name=self.email,
        )


@dataclass(frozen=True)
class Operator:
    """One of the provider's staff, who signs in like any user."""

    user_id: str
    email: str
    name: str
    active: bool = True

    def principal(self, credential_id: str = "") -> Principal:
        return Principal(
            subject=self.user_id,
            account_id="",
            role=None,
            billing_access=True,
            operator=True,
            credential_id=credential_id,
            name=self.email,
        )
