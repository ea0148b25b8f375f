"""One audit log to read: the gateway's own entries merged with those of every service that
keeps one, newest first, paged with one cursor (occur time, entry id) valid for all of them."""

from __future__ import annotations

import asyncio
from typing import Any

from services.common import validation
from services.common.audit import entry_json, merge
from services.common.errors import InvalidArgument
from services.gateway.service.ports.audit import Audit, AuditSources


class AuditTrail:
    def __init__(self, own: Audit, sources: AuditSources) -> None:
        self._own = own
        self._sources = sources

    async def page(
        self,
        account_id: str,
        page_size: int,
        page_token: str,
        metadata: list[tuple[str, str]],
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of entries as JSON objects, and the next page's token ("" at the end).

        A service that cannot answer fails the whole read (gRPC error): an audit log with
        holes in it would mislead."""
        limit = page_size or validation.DEFAULT_PAGE_SIZE
        if not 0 < limit <= validation.MAX_PAGE_SIZE:
            raise InvalidArgument("page_size", f"must be 0 to {validation.MAX_PAGE_SIZE}")
        reads = [
            self._sources.page(service, account_id, limit, page_token, metadata)
            for service in self._sources.services()
        ]
        own = asyncio.to_thread(self._own.list_messages, account_id, limit, page_token)
        answers = await asyncio.gather(own, *reads)
        entries, token = merge(list(answers), limit)
        return [entry_json(entry) for entry in entries], token
