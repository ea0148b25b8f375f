"""gRPC entrypoint of invoicing: translate requests, hand them to the use cases."""

from __future__ import annotations

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.invoicing.service import plans


class InvoicingServicer(pb_grpc.InvoicingServiceServicer):
    def __init__(self, plan_use_cases: plans.Plans) -> None:
        self._plans = plan_use_cases

    def CreatePlan(
        self, request: pb.CreatePlanRequest, context: grpc.ServicerContext
    ) -> pb.CreatePlanResponse:
        return self._plans.create(request)

    def ListPlans(
        self, request: pb.ListPlansRequest, context: grpc.ServicerContext
    ) -> pb.ListPlansResponse:
        return self._plans.list(request)
