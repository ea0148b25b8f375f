"""One audit log to read: the gateway's own entries merged with those of every service that
keeps one, newest first, paged with one cursor (occur time, entry id) valid for all of them."""

from __future__ import annotations

import asyncio
from typing import Any

from billing.common.v1 import audit_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb
from starlette.concurrency import run_in_threadpool

from services.common import validation
from services.common.audit import AuditLog, entry_json, merge
from services.common.errors import InvalidArgument
from services.gateway.adapters.backends import Backends

# Services that keep an audit log: full name -> (request, response) of their ListAuditEntries.
AUDITED_SERVICES: dict[str, tuple[type, type]] = {
    "billing.wallet.v1.WalletService": (
        wallet_pb.ListAuditEntriesRequest,
        wallet_pb.ListAuditEntriesResponse,
    ),
    "billing.invoicing.v1.InvoicingService": (
        invoicing_pb.ListAuditEntriesRequest,
        invoicing_pb.ListAuditEntriesResponse,
    ),
}
METHOD = "ListAuditEntries"


class AuditTrail:
    def __init__(self, own: AuditLog, backends: Backends, timeout_s: float) -> None:
        self._own = own
        self._backends = backends
        self._timeout_s = timeout_s

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
            self._read(
                service, request_class, response_class, account_id, limit, page_token, metadata
            )
            for service, (request_class, response_class) in AUDITED_SERVICES.items()
            if self._backends.has(service)
        ]
        own = run_in_threadpool(self._own.list_messages, account_id, limit, page_token)
        answers = await asyncio.gather(own, *reads)
        entries, token = merge(list(answers), limit)
        return [entry_json(entry) for entry in entries], token

    async def _read(
        self,
        service: str,
        request_class: type,
        response_class: type,
        account_id: str,
        limit: int,
        page_token: str,
        metadata: list[tuple[str, str]],
    ) -> tuple[list[audit_pb2.AuditEntry], str]:
        call = self._backends.multicallable(service, METHOD, request_class, response_class)
        request = request_class(account_id=account_id, page_size=limit, page_token=page_token)
        answer = await call(request, timeout=self._timeout_s, metadata=metadata)
        return list(answer.entries), answer.next_page_token
