"""Audit entries of what invoicing does on nobody's direct request: a payment provider's word
(a webhook's outcome, refund or dispute) or its own work (an auto-recharge the wallet asked
for, a 3-D Secure wait that expired, a payment finished by the scheduler).

A person's act is recorded by its RPC's own entry; these are recorded where the change is
written, in its transaction when there is one, and once each (keyed by what they act on).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from services.common.audit import SERVICE, Actor, AuditLog, Entry
from services.common.service_auth import current_identity

SERVICE_NAME = "invoicing"
# Set while a provider's event is acted on: the provider's name.
_PROVIDER: contextvars.ContextVar[str] = contextvars.ContextVar("payment_provider", default="")


@contextlib.contextmanager
def provider_speaking(provider: str) -> Iterator[None]:
    """Within: what changes is the payment provider's act (its event verified)."""
    token = _PROVIDER.set(provider)
    try:
        yield
    finally:
        _PROVIDER.reset(token)


def actor() -> Actor | None:
    """Who acts when no person does: the payment provider while its event is acted on, else
    invoicing itself; None during a person's call (that call's entry records the act)."""
    identity = current_identity()
    caller = identity.caller if identity is not None else ""
    provider = _PROVIDER.get()
    if provider:
        return Actor(
            SERVICE, provider, f"payment provider ({provider})", "webhook signature", caller
        )
    if identity is not None and identity.principal is not None:
        return None
    return Actor(SERVICE, SERVICE_NAME, SERVICE_NAME, caller or SERVICE_NAME, caller)


class ServiceActs:
    def __init__(self, audit: AuditLog | None) -> None:
        self._audit = audit

    def record(
        self,
        action: str,
        account_id: str,
        target: str,
        key: str,
        *,
        reason: str = "",
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        # The caller's open SQL connection: the entry commits with the change.
        connection: Any = None,
        who: Actor | None = None,
    ) -> None:
        """One entry, unless a person is acting (their call records it); once per key."""
        acting = who or actor()
        if self._audit is None or acting is None:
            return
        entry = Entry(
            action=action,
            account_id=account_id,
            actor=acting,
            reason=reason,
            target=target,
            before=before,
            after=after,
            request_key=key,
        )
        self._audit.record(entry, connection)
