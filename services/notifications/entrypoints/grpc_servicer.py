"""The gRPC edge: each request translated into a plain command for its use case, and the plain
result back into a response (errors become status codes in the common interceptor)."""

from __future__ import annotations

import grpc
from billing.notifications.v1 import notifications_service_pb2 as pb
from billing.notifications.v1 import notifications_service_pb2_grpc as pb_grpc

from services.common import validation
from services.common.errors import InvalidArgument
from services.notifications.domain.events import EVENT_TYPE_DESCRIPTIONS
from services.notifications.service.commands import (
    DeliveryQuery,
    DeliveryRef,
    DeliveryView,
    EndpointChange,
    EndpointRef,
    EndpointView,
    FailedReplay,
    NewEndpoint,
    PageRequest,
    SecretRotation,
)
from services.notifications.service.endpoints import Endpoints
from services.notifications.service.intake import FAILED, PENDING, SUCCEEDED

DELIVERY_STATES = {
    PENDING: pb.DELIVERY_STATE_PENDING,
    SUCCEEDED: pb.DELIVERY_STATE_SUCCEEDED,
    FAILED: pb.DELIVERY_STATE_FAILED,
}
STATE_NAMES = {value: key for key, value in DELIVERY_STATES.items()}


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
        created = self._endpoints.create(
            NewEndpoint(
                account_id=request.account_id,
                url=request.url,
                description=request.description,
                event_types=tuple(request.event_types),
                idempotency_key=request.idempotency_key or None,
            )
        )
        return pb.CreateEndpointResponse(
            endpoint=endpoint_message(created.endpoint), secret=created.secret
        )

    def ListEndpoints(
        self, request: pb.ListEndpointsRequest, context: grpc.ServicerContext
    ) -> pb.ListEndpointsResponse:
        page = self._endpoints.list(
            request.account_id, PageRequest(request.page_size, request.page_token)
        )
        return pb.ListEndpointsResponse(
            endpoints=[endpoint_message(view) for view in page.endpoints],
            next_page_token=page.next_page_token,
        )

    def GetEndpoint(
        self, request: pb.GetEndpointRequest, context: grpc.ServicerContext
    ) -> pb.GetEndpointResponse:
        view = self._endpoints.get(EndpointRef(request.account_id, request.endpoint_id))
        return pb.GetEndpointResponse(endpoint=endpoint_message(view))

    def UpdateEndpoint(
        self, request: pb.UpdateEndpointRequest, context: grpc.ServicerContext
    ) -> pb.UpdateEndpointResponse:
        if request.event_types and not request.set_event_types:
            raise InvalidArgument("set_event_types", "must be true to change event_types")
        view = self._endpoints.update(
            EndpointChange(
                account_id=request.account_id,
                endpoint_id=request.endpoint_id,
                url=request.url if request.HasField("url") else None,
                description=request.description if request.HasField("description") else None,
                event_types=tuple(request.event_types) if request.set_event_types else None,
                enabled=request.enabled if request.HasField("enabled") else None,
            )
        )
        return pb.UpdateEndpointResponse(endpoint=endpoint_message(view))

    def DeleteEndpoint(
        self, request: pb.DeleteEndpointRequest, context: grpc.ServicerContext
    ) -> pb.DeleteEndpointResponse:
        self._endpoints.delete(EndpointRef(request.account_id, request.endpoint_id))
        return pb.DeleteEndpointResponse()

    def RotateEndpointSecret(
        self, request: pb.RotateEndpointSecretRequest, context: grpc.ServicerContext
    ) -> pb.RotateEndpointSecretResponse:
        rotated = self._endpoints.rotate(
            SecretRotation(
                account_id=request.account_id,
                endpoint_id=request.endpoint_id,
                overlap_seconds=request.overlap_seconds,
                idempotency_key=request.idempotency_key or None,
            )
        )
        answer = pb.RotateEndpointSecretResponse(
            endpoint=endpoint_message(rotated.endpoint), secret=rotated.secret
        )
        answer.previous_secret_expire_time.FromMilliseconds(rotated.previous_secret_expire_ms)
        return answer

    def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeliveriesResponse:
        state = None
        if request.state:
            state = STATE_NAMES.get(request.state)
            if state is None:
                raise InvalidArgument("state", "unknown delivery state")
        page = self._endpoints.deliveries(
            DeliveryQuery(
                account_id=request.account_id,
                endpoint_id=request.endpoint_id,
                state=state,
                page=PageRequest(request.page_size, request.page_token),
            )
        )
        return pb.ListDeliveriesResponse(
            deliveries=[delivery_message(view) for view in page.deliveries],
            next_page_token=page.next_page_token,
        )

    def GetDelivery(
        self, request: pb.GetDeliveryRequest, context: grpc.ServicerContext
    ) -> pb.GetDeliveryResponse:
        view = self._endpoints.delivery(
            DeliveryRef(request.account_id, request.endpoint_id, request.delivery_id)
        )
        return pb.GetDeliveryResponse(delivery=delivery_message(view))

    def ReplayDelivery(
        self, request: pb.ReplayDeliveryRequest, context: grpc.ServicerContext
    ) -> pb.ReplayDeliveryResponse:
        view = self._endpoints.replay(
            DeliveryRef(request.account_id, request.endpoint_id, request.delivery_id)
        )
        return pb.ReplayDeliveryResponse(delivery=delivery_message(view))

    def ReplayFailedDeliveries(
        self, request: pb.ReplayFailedDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ReplayFailedDeliveriesResponse:
        if not request.HasField("since_time"):
            raise InvalidArgument("since_time", "is required")
        since = request.since_time
        since_ms = validation.timestamp_ms(since.seconds, since.nanos, "since_time")
        replayed = self._endpoints.replay_failed(
            FailedReplay(request.account_id, request.endpoint_id, since_ms)
        )
        return pb.ReplayFailedDeliveriesResponse(replayed_count=replayed)


def endpoint_message(view: EndpointView) -> pb.Endpoint:
    message = pb.Endpoint(
        endpoint_id=view.endpoint_id,
        account_id=view.account_id,
        url=view.url,
        description=view.description,
        event_types=list(view.event_types),
        enabled=view.enabled,
        disabled_reason=view.disabled_reason,
    )
    if view.failing_since_ms is not None:
        message.failing_since.FromMilliseconds(view.failing_since_ms)
    message.create_time.FromMilliseconds(view.created_ms)
    message.update_time.FromMilliseconds(view.updated_ms)
    return message


def delivery_message(view: DeliveryView) -> pb.Delivery:
    message = pb.Delivery(
        delivery_id=view.delivery_id,
        endpoint_id=view.endpoint_id,
        event_id=view.event_id,
        event_type=view.event_type,
        state=DELIVERY_STATES.get(view.state, pb.DELIVERY_STATE_UNSPECIFIED),
        attempt_count=view.attempt_count,
    )
    message.create_time.FromMilliseconds(view.created_ms)
    if view.next_attempt_ms is not None:
        message.next_attempt_time.FromMilliseconds(view.next_attempt_ms)
    for attempt in view.attempts:
        item = message.attempts.add(
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            response_excerpt=attempt.response_excerpt,
        )
        item.attempt_time.FromMilliseconds(attempt.attempted_ms)
    return message
