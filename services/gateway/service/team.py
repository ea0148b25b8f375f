"""An account's teammates: invited, re-roled, removed, and the billing permission the owner
grants them. The owner's own membership is never changed here. Every change is written to the
gateway's audit log, as the actor's, with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.common import validation
from services.common.audit import Actor, Entry
from services.common.clock import Clock, SystemClock, moment
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.gateway.domain.access import Role
from services.gateway.domain.records import Membership
from services.gateway.service.admin import Administration
from services.gateway.service.ports.audit import Audit
from services.gateway.service.ports.store import UnitsOfWork

# Teammates the owner may invite or re-role to; an account has one owner.
TEAMMATE_ROLES = (Role.ADMIN, Role.AGENT)


@dataclass(frozen=True)
class Invitation:
    member: Membership
    # The password to hand to a newly created user; empty for someone already registered.
    initial_password: str


class Team:
    def __init__(
        self,
        units: UnitsOfWork,
        on_change: Callable[[str, str], None],
        audit: Audit | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._units = units
        self._clock = clock or SystemClock()
        # Told (user_id, account_id) after a change, so cached credentials see it at once.
        self._on_change = on_change
        self._audit = audit

    def list(self, account_id: str) -> list[Membership]:
        with self._units() as uow:
            return uow.people.members(account_id)

    def member(self, user_id: str, account_id: str) -> Membership | None:
        with self._units() as uow:
            return uow.people.membership(user_id, account_id)

    def invite(
        self,
        account_id: str,
        email: str,
        role: Role,
        billing_access: bool,
        actor: Actor,
        reason: str = "",
    ) -> Invitation:
        """Adds the person (created when new) with the role; inviting again answers the same."""
        if role not in TEAMMATE_ROLES:
            raise InvalidArgument("role", "a teammate is an admin or an agent")
        with self._units() as uow:
            known = uow.people.user_by_email(email.strip().lower())
            current = uow.people.membership(known.user_id, account_id) if known else None
        before = None
        if known is not None:
            if current is not None and current.role is Role.OWNER:
                raise FailedPrecondition("the owner is already on the team", "email")
            before = _summary(current) if current is not None else None
        member, password = Administration(self._units, clock=self._clock).add_user(
            email, "", account_id, role, billing_access
        )
        self._on_change(member.user_id, account_id)
        invited = self._reload(member.user_id, account_id)
        self._record("teammate_invited", invited, actor, reason, before)
        return Invitation(invited, password)

    def change(
        self,
        account_id: str,
        user_id: str,
        role: Role | None,
        billing_access: bool | None,
        actor: Actor,
        reason: str = "",
    ) -> Membership:
        """A new role and/or billing access; the current values again answer the same."""
        member = self._teammate(account_id, user_id)
        if role is not None and role not in TEAMMATE_ROLES:
            raise InvalidArgument("role", "a teammate is an admin or an agent")
        updated = Membership(
            member.user_id,
            account_id,
            role or member.role,
            member.billing_access if billing_access is None else billing_access,
            member.email,
        )
        if updated != member:
            with self._units() as uow:
                uow.people.put_membership(updated, moment(self._clock))
                uow.commit()
            self._on_change(user_id, account_id)
        changed = self._reload(user_id, account_id)
        if changed != member:
            self._record("teammate_changed", changed, actor, reason, _summary(member))
        return changed

    def remove(self, account_id: str, user_id: str, actor: Actor, reason: str = "") -> Membership:
        member = self._teammate(account_id, user_id)
        with self._units() as uow:
            uow.people.delete_membership(user_id, account_id)
            uow.commit()
        self._on_change(user_id, account_id)
        self._record("teammate_removed", member, actor, reason, _summary(member), removed=True)
        return member

    def set_billing_access(
        self, account_id: str, user_id: str, enabled: bool, actor: Actor, reason: str = ""
    ) -> Membership:
        """Grant or revoke; setting the current value again answers the same (idempotent)."""
        return self.change(account_id, user_id, None, enabled, actor, reason)

    def _teammate(self, account_id: str, user_id: str) -> Membership:
        if not validation.ID_PATTERN.match(user_id):
            raise NotFound("not found")
        with self._units() as uow:
            member = uow.people.membership(user_id, account_id)
        if member is None:
            raise NotFound("not found")
        if member.role is Role.OWNER:
            raise FailedPrecondition("the owner's role and billing access do not change", "user_id")
        return member

    def _reload(self, user_id: str, account_id: str) -> Membership:
        with self._units() as uow:
            member = uow.people.membership(user_id, account_id)
        if member is None:
            raise NotFound("not found")
        return member

    def _record(
        self,
        action: str,
        member: Membership,
        actor: Actor,
        reason: str,
        before: dict[str, Any] | None,
        removed: bool = False,
    ) -> None:
        if self._audit is None:
            return
        after = None if removed else _summary(member)
        self._audit.record(
            Entry(action, member.account_id, actor, reason, member.user_id, before, after)
        )


def _summary(member: Membership) -> dict[str, Any]:
    return {
        "email": member.email,
        "role": member.role.value,
        "billing_access": member.billing_access,
    }
