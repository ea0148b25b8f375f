"""The audit log, as a repository of the unit of work: an entry commits with the change it
records."""

from __future__ import annotations

from typing import Protocol

from services.common.audit import Entry

# The service invoicing's audit entries are written by.
AUDIT_SERVICE = "invoicing"


class AuditEntries(Protocol):
    def add(self, entry: Entry) -> bool:
        """Append the entry; False when the same action and request key were recorded already."""
        ...
