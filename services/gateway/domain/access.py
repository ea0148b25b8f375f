"""Who may do what: customers' users and keys (three roles per account, a billing permission
per teammate) and operators (the provider's staff).

The owner always has billing; an owner grants or revokes it for each admin and agent (Interakt:
"decide who gets to access the billing section"). Admins with billing may change billing
settings; agents with billing may only look. Operators are named people and named API keys of
the provider: they may do everything, on every account, and give a reason for each change.
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
    # Changing billing by paying: cards, invoices by card, auto-recharge, subscriptions, days.
    BILLING_WRITE = "billing_write"
    # The account's own administration: teammates and the audit log (the owner).
    TEAM = "team"
    # The provider's staff: money without a card, prices, fees, tax, credit notes, cycles.
    OPERATOR = "operator"


CUSTOMER = "customer"
OPERATOR_KIND = "operator"


@dataclass(frozen=True)
class Principal:
    """The caller, as its credential proves it."""

    # A user id, or the API key id for a key.
    subject: str
    # Empty for operators, who are not bound to one account.
    account_id: str
    role: Role | None
    billing_access: bool
    operator: bool = False
    # The credential used: the API key id, or token:<id> for a signed-in user.
    credential_id: str = ""
    # For people reading the audit log: the user's email or the key's name.
    name: str = ""

    def __post_init__(self) -> None:
        if self.operator == bool(self.account_id):
            raise ValueError("a principal is either an operator or bound to one account")
        if not self.operator and self.role is None:
            raise ValueError("an account principal has a role")

    @property
    def kind(self) -> str:
        return OPERATOR_KIND if self.operator else CUSTOMER

    @property
    def has_billing(self) -> bool:
        return self.operator or self.role is Role.OWNER or self.billing_access

    @property
    def rate_key(self) -> str:
        """What the request-rate limit counts against: the API key, or the signed-in user
        whatever token they present (signing in again does not buy a fresh allowance)."""
        return self.subject


def allows(principal: Principal, access: Access) -> bool:
    if principal.operator:
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
