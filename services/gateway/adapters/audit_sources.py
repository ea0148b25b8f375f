"""The audit logs the backend services keep, read through their ListAuditEntries RPCs."""

from __future__ import annotations

from typing import Any

from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

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


class BackendAuditLogs:
    def __init__(self, backends: Backends, timeout_s: float) -> None:
        self._backends = backends
        self._timeout_s = timeout_s

    def services(self) -> list[str]:
        return [service for service in AUDITED_SERVICES if self._backends.has(service)]

    async def page(
        self,
        service: str,
        account_id: str,
        page_size: int,
        page_token: str,
        metadata: list[tuple[str, str]],
    ) -> tuple[list[Any], str]:
        request_class, response_class = AUDITED_SERVICES[service]
        call = self._backends.multicallable(service, METHOD, request_class, response_class)
        request = request_class(account_id=account_id, page_size=page_size, page_token=page_token)
        answer = await call(request, timeout=self._timeout_s, metadata=metadata)
        return list(answer.entries), answer.next_page_token
