"""Who may do what: three roles per account, a billing permission per teammate, platform staff.

The owner always has billing; an owner grants or revokes it for each admin and agent (Interakt:
"decide who gets to access the billing section"). Admins with billing may change billing
settings; agents with billing may only look. Platform credentials belong to the provider's staff.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class Access(enum.StrEnum):
    # Any member of the account.
    MEMBER = "member"
    # Day-to-day messaging operations: campaigns, channels.
    OPERATIONS = "operations"
    # The billing section: balances, usage, invoices, credits, organization details.
    BILLING_READ = "billing_read"
    # Changing billing: paying, top-ups, cards, subscriptions, organization details.
    BILLING_WRITE = "billing_write"
    # Managing teammates' permissions.
    TEAM = "team"
    # The provider's own staff: accounts, plans, credits, credit notes.
    PLATFORM = "platform"


@dataclass(frozen=True)
class Principal:
    """The caller, as its credential proves it."""

    subject: str
    # Empty for platform credentials, which are not bound to one account.
    account_id: str
    role: Role | None
    billing_access: bool
    platform: bool = False

    def __post_init__(self) -> None:
        if self.platform == bool(self.account_id):
            raise ValueError("a principal is either platform staff or bound to one account")
        if not self.platform and self.role is None:
            raise ValueError("an account principal has a role")

    @property
    def has_billing(self) -> bool:
        return self.platform or self.role is Role.OWNER or self.billing_access


def allows(principal: Principal, access: Access) -> bool:
    if principal.platform:
        return True
    role = principal.role
    if access is Access.MEMBER:
        return True
    if access is Access.OPERATIONS:
        return role in (Role.OWNER, Role.ADMIN)
    if access is Access.BILLING_READ:
        return principal.has_billing
    if access is Access.BILLING_WRITE:
        return role is Role.OWNER or (role is Role.ADMIN and principal.billing_access)
    if access is Access.TEAM:
        return role is Role.OWNER
    return False


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(f"role must be one of {', '.join(r.value for r in Role)}") from None
