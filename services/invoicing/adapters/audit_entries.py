"""Invoicing's audit log on the unit of work's connection: an entry commits with the change."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from services.common.audit import AuditLog, Entry
from services.invoicing.adapters import tables
from services.invoicing.service.ports.audit import AUDIT_SERVICE


class SqlAuditEntries:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._log = AuditLog(connection.engine, tables.audit_entries, AUDIT_SERVICE)

    def add(self, entry: Entry) -> bool:
        return self._log.record(entry, self._connection)
