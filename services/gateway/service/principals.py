"""What the gateway tells the services about each call: its own service credential, and the
end user it acts for as a signed principal (who, which account and role, which credential,
why). The services check the principal against their own rules and audit it."""

from __future__ import annotations

from services.common import service_auth
from services.common.audit import Actor
from services.common.clock import Clock, SystemClock
from services.gateway.domain.access import Principal

MAX_REASON_LENGTH = service_auth.MAX_REASON_LENGTH


class PrincipalSigner:
    def __init__(
        self, service_token: str, principal_key: bytes, clock: Clock | None = None
    ) -> None:
        self._authorization = (service_auth.AUTHORIZATION, service_auth.BEARER + service_token)
        self._key = principal_key
        self._clock = clock or SystemClock()

    def service_metadata(self) -> list[tuple[str, str]]:
        """The gateway's credential alone, for calls made on no one's behalf (webhooks)."""
        return [self._authorization]

    def metadata(self, principal: Principal, reason: str = "") -> list[tuple[str, str]]:
        signed = service_auth.sign_principal(
            signable(principal, reason), self._key, self._clock.now_ms() / 1000
        )
        return [self._authorization, (service_auth.PRINCIPAL_METADATA, signed)]


def signable(principal: Principal, reason: str = "") -> service_auth.Principal:
    return service_auth.Principal(
        kind=principal.kind,
        subject=principal.subject,
        account_id=principal.account_id,
        role=principal.role.value if principal.role else "",
        credential_id=principal.credential_id,
        name=principal.name,
        reason=reason[:MAX_REASON_LENGTH],
    )


def actor_of(principal: Principal) -> Actor:
    """The principal as the gateway's own audit entries name it."""
    return Actor(
        kind=principal.kind,
        id=principal.subject,
        name=principal.name,
        credential_id=principal.credential_id,
        caller="gateway",
        role=principal.role.value if principal.role else "",
    )
