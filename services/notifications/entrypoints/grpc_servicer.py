"""The gRPC edge: each call handed to its use case (errors become status codes in the common
interceptor)."""

from __future__ import annotations

import grpc
from billing.notifications.v1 import notifications_service_pb2 as pb
from billing.notifications.v1 import notifications_service_pb2_grpc as pb_grpc

from services.notifications.domain.events import EVENT_TYPE_DESCRIPTIONS
from services.notifications.service.endpoints import Endpoints


class NotificationsServicer(pb_grpc.NotificationsServiceServicer):
    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints

    def ListEventTypes(
        self, request: pb.ListEventTypesRequest, context: grpc.ServicerContext
    ) -> pb.ListEventTypesResponse:
        return pb.ListEventTypesResponse(
            event_types=[
                pb.EventType(name=name, description=description)
                for name, description in EVENT_TYPE_DESCRIPTIONS.items()
            ]
        )

    def CreateEndpoint(
        self, request: pb.CreateEndpointRequest, context: grpc.ServicerContext
    ) -> pb.CreateEndpointResponse:
        return self._endpoints.create(request)

    def ListEndpoints(
        self, request: pb.ListEndpointsRequest, context: grpc.ServicerContext
    ) -> pb.ListEndpointsResponse:
        return self._endpoints.list(request)

    def GetEndpoint(
        self, request: pb.GetEndpointRequest, context: grpc.ServicerContext
    ) -> pb.GetEndpointResponse:
        return self._endpoints.get(request)

    def UpdateEndpoint(
        self, request: pb.UpdateEndpointRequest, context: grpc.ServicerContext
    ) -> pb.UpdateEndpointResponse:
        return self._endpoints.update(request)

    def DeleteEndpoint(
        self, request: pb.DeleteEndpointRequest, context: grpc.ServicerContext
    ) -> pb.DeleteEndpointResponse:
        return self._endpoints.delete(request)

    def RotateEndpointSecret(
        self, request: pb.RotateEndpointSecretRequest, context: grpc.ServicerContext
    ) -> pb.RotateEndpointSecretResponse:
        return self._endpoints.rotate(request)

    def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeliveriesResponse:
        return self._endpoints.deliveries(request)

    def GetDelivery(
        self, request: pb.GetDeliveryRequest, context: grpc.ServicerContext
    ) -> pb.GetDeliveryResponse:
        return self._endpoints.delivery(request)

    def ReplayDelivery(
        self, request: pb.ReplayDeliveryRequest, context: grpc.ServicerContext
    ) -> pb.ReplayDeliveryResponse:
        return self._endpoints.replay(request)

    def ReplayFailedDeliveries(
        self, request: pb.ReplayFailedDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ReplayFailedDeliveriesResponse:
        return self._endpoints.replay_failed(request)
