"""What the gateway keeps: API keys, users and their memberships."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.domain.access import Principal, Role


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    account_id: str
    platform: bool
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
            platform=self.platform,
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

    def principal(self) -> Principal:
        return Principal(
            subject=self.user_id,
            account_id=self.account_id,
            role=self.role,
            billing_access=self.billing_access,
        )
