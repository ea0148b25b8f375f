"""gRPC handlers of the wallet's send path: authorising sends one by one and in batches,
settling reservations and opening windows."""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable
from typing import TypeVar

import grpc
from billing.wallet.v1 import authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.entrypoints import prices, send_requests
from services.wallet.entrypoints.handlers import Handlers

Request = TypeVar("Request")
Answer = TypeVar("Answer")


class SendHandlers(Handlers):
    def AuthoriseSend(
        self, request: authorise_pb2.AuthoriseSendRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseSendResponse:
        answer = self._timed("AuthoriseSend", self._authorise, request)
        self._authorisations.add(1, _decision_attributes(answer.decision, answer.deny_reason))
        return answer

    def _authorise(
        self, request: authorise_pb2.AuthoriseSendRequest
    ) -> authorise_pb2.AuthoriseSendResponse:
        send = send_requests.send_command(request)
        decided = self._authoriser.authorise(send)
        answer = send_requests.send_response(decided)
        if self._notices is not None and answer.decision == authorise_pb2.DECISION_ALLOWED_FLAGGED:
            self._notices.after_send(send, decided)
        return answer

    def AuthoriseBatch(
        self, request: authorise_pb2.AuthoriseBatchRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseBatchResponse:
        answer = self._timed("AuthoriseBatch", self._authorise_batch, request)
        counted = collections.Counter((d.decision, d.deny_reason) for d in answer.decisions)
        for (decision, reason), count in counted.items():
            self._authorisations.add(count, _decision_attributes(decision, reason))
        return answer

    def _authorise_batch(
        self, request: authorise_pb2.AuthoriseBatchRequest
    ) -> authorise_pb2.AuthoriseBatchResponse:
        batch = send_requests.batch_command(request)
        decided = self._authoriser.authorise_batch(batch)
        answer = send_requests.batch_response(batch, decided)
        if self._notices is not None and answer.denied_count:
            refused = self._notices.refused_batch(batch, decided)
            if refused:
                required = decided.paid_micros(refused)
                self._notices.after_batch(batch, request.batch_id, decided, refused, required)
        return answer

    def _timed(self, name: str, step: Callable[[Request], Answer], request: Request) -> Answer:
        """The step's answer, its time in the server recorded when timings are kept."""
        if self._timings is None:
            return step(request)
        started = time.perf_counter_ns()
        try:
            return step(request)
        finally:
            self._timings.record(name, time.perf_counter_ns() - started)

    def CommitReservation(
        self, request: authorise_pb2.CommitReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.CommitReservationResponse:
        settled = self._reservations.commit(send_requests.commit_command(request))
        return authorise_pb2.CommitReservationResponse(
            reservation=send_requests.reservation_message(settled)
        )

    def ReleaseReservation(
        self, request: authorise_pb2.ReleaseReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.ReleaseReservationResponse:
        settled = self._reservations.release(send_requests.release_command(request))
        return authorise_pb2.ReleaseReservationResponse(
            reservation=send_requests.reservation_message(settled)
        )

    def OpenWindow(
        self, request: pb.OpenWindowRequest, context: grpc.ServicerContext
    ) -> pb.OpenWindowResponse:
        in_force_ms = self._windows.open(prices.window_command(request))
        return prices.window_response(request, in_force_ms)


@functools.cache
def _decision_attributes(decision: int, reason: int) -> dict[str, str]:
    """The authorisations counter's attributes, made once per (decision, reason)."""
    return {
        "decision": authorise_pb2.Decision.Name(decision).removeprefix("DECISION_"),  # type: ignore[arg-type]
        "reason": authorise_pb2.DenyReason.Name(reason).removeprefix("DENY_REASON_"),  # type: ignore[arg-type]
    }
