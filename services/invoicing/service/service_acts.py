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

from services.common.audit import SERVICE, Actor, Entry
from services.common.service_auth import current_identity
from services.invoicing.service.ports.audit import AUDIT_SERVICE, AuditEntries

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
    return Actor(SERVICE, AUDIT_SERVICE, AUDIT_SERVICE, caller or AUDIT_SERVICE, caller)


def record(
    into: AuditEntries,
    action: str,
    account_id: str,
    target: str,
    key: str,
    *,
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    who: Actor | None = None,
) -> None:
    """One entry in the unit of work's audit log, unless a person is acting (their call records
    it); once per key."""
    acting = who or actor()
    if acting is None:
        return
    into.add(
        Entry(
            action=action,
            account_id=account_id,
            actor=acting,
            reason=reason,
            target=target,
            before=before,
            after=after,
            request_key=key,
        )
    )
