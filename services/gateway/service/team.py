"""An account's teammates and the billing permission the owner grants them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.common import validation
from services.common.audit import Actor, AuditLog, Entry
from services.common.errors import FailedPrecondition, NotFound
from services.gateway.adapters.store import Store
from services.gateway.domain.access import Role
from services.gateway.domain.records import Membership


class Team:
    def __init__(
        self, store: Store, on_change: Callable[[str, str], None], audit: AuditLog | None = None
    ) -> None:
        self._store = store
        self._audit = audit
        # Told (user_id, account_id) after a change, so cached credentials see it at once.
        self._on_change = on_change

    def list(self, account_id: str) -> list[Membership]:
        return self._store.members(account_id)

    def set_billing_access(
        self, account_id: str, user_id: str, enabled: bool, actor: Actor, reason: str = ""
    ) -> Membership:
        """Grant or revoke; setting the current value again answers the same (idempotent)."""
        if not validation.ID_PATTERN.match(user_id):
            raise NotFound("not found")
        member = self._store.membership(user_id, account_id)
        if member is None:
            raise NotFound("not found")
        if member.role is Role.OWNER:
            raise FailedPrecondition("an owner always has billing access", "billing_access")
        if member.billing_access != enabled:
            self._store.set_billing_access(user_id, account_id, enabled, dt.datetime.now(dt.UTC))
            self._on_change(user_id, account_id)
            if self._audit is not None:
                self._audit.record(
                    Entry(
                        "teammate_billing_access",
                        account_id,
                        actor,
                        reason,
                        user_id,
                        before={"billing_access": member.billing_access},
                        after={"billing_access": enabled},
                    )
                )
        updated = self._store.membership(user_id, account_id)
        if updated is None:
            raise NotFound("not found")
        return updated
