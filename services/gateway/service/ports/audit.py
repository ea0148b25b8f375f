"""The audit logs: the gateway's own, and those the services behind it keep."""

from __future__ import annotations

from typing import Any, Protocol

from services.common.audit import Entry


class Audit(Protocol):
    """The gateway's own audit log."""

    def record(self, entry: Entry) -> bool: ...

    def list_messages(
        self, account_id: str, page_size: int, page_token: str
    ) -> tuple[list[Any], str]:
        """One page of entries, newest first, and the next page's token."""
        ...


class AuditSources(Protocol):
    """The audit logs the backend services keep."""

    def services(self) -> list[str]:
        """The services that keep an audit log and are configured here."""
        ...

    async def page(
        self,
        service: str,
        account_id: str,
        page_size: int,
        page_token: str,
        metadata: list[tuple[str, str]],
    ) -> tuple[list[Any], str]:
        """One page of the service's entries, newest first, and its next page's token."""
        ...
