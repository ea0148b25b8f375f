"""What the notifications service asks invoicing: an organization's billing email, an
invoice's PDF (over gRPC, with this process's service credential)."""

from __future__ import annotations

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

MAX_PDF_BYTES = 10 * 1024 * 1024


class Unreachable(Exception):
    pass


class InvoicingDirectory:
    def __init__(self, channel: grpc.Channel, timeout_s: float) -> None:
        self._stub = pb_grpc.InvoicingServiceStub(channel)
        self._timeout_s = timeout_s

    def billing_email(self, account_id: str) -> str:
        """The organization's billing email; empty when it has none (or no details yet)."""
        try:
            answer = self._stub.GetOrganization(
                pb.GetOrganizationRequest(account_id=account_id), timeout=self._timeout_s
            )
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return ""
            raise Unreachable(f"invoicing: {error.code().name}") from error
        return answer.organization.billing_email

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for part in self._stub.DownloadInvoicePdf(
                pb.DownloadInvoicePdfRequest(account_id=account_id, invoice_id=invoice_id),
                timeout=self._timeout_s * 6,
            ):
                chunks.append(part.body.data)
                size += len(part.body.data)
                if size > MAX_PDF_BYTES:
                    raise Unreachable("invoicing: the PDF is larger than 10 MiB")
        except grpc.RpcError as error:
            raise Unreachable(f"invoicing: {error.code().name}") from error
        return b"".join(chunks)
