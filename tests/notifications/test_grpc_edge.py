"""The gRPC edge translates requests into commands and results into responses: which fields
were set, enum states, timestamps, and the request-shape errors that name their field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import grpc
import pytest
from billing.notifications.v1 import notifications_service_pb2 as pb
from google.protobuf.timestamp_pb2 import Timestamp

from services.common.clock import SteppedClock
from services.common.config import Env
from services.common.errors import InvalidArgument
from services.notifications.bootstrap import assemble
from services.notifications.entrypoints.grpc_servicer import NotificationsServicer
from tests.notifications.test_deliveries import Directory

CONTEXT = cast(grpc.ServicerContext, None)  # the servicer reads nothing from it
URL = "https://hooks.example.com/edge"


@pytest.fixture
def edge(database_url: str, redis_url: str) -> Iterator[tuple[NotificationsServicer, SteppedClock]]:
    clock = SteppedClock(start_ms=1_800_000_000_000)
    service = assemble(
        Env(
            {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "NOTIFICATIONS_WORKERS": "false"}
        ),
        clock=clock,
        directory=Directory(),
    )
    yield NotificationsServicer(service.endpoints), clock
    service.close()


def test_an_update_changes_only_the_fields_it_sets(
    edge: tuple[NotificationsServicer, SteppedClock],
) -> None:
    servicer, clock = edge
    made = servicer.CreateEndpoint(
        pb.CreateEndpointRequest(
            account_id="acme", url=URL, description="ops", event_types=["balance.low"]
        ),
        CONTEXT,
    )
    assert made.endpoint.create_time.ToMilliseconds() == clock.now_ms()
    clock.step(5_000)
    endpoint_id = made.endpoint.endpoint_id
    changed = servicer.UpdateEndpoint(
        pb.UpdateEndpointRequest(account_id="acme", endpoint_id=endpoint_id, enabled=False),
        CONTEXT,
    ).endpoint
    assert (changed.url, changed.description, list(changed.event_types)) == (
        URL,
        "ops",
        ["balance.low"],
    )
    assert changed.enabled is False
    assert changed.update_time.ToMilliseconds() == clock.now_ms()
    cleared = servicer.UpdateEndpoint(
        pb.UpdateEndpointRequest(account_id="acme", endpoint_id=endpoint_id, set_event_types=True),
        CONTEXT,
    ).endpoint
    assert list(cleared.event_types) == [] and cleared.description == "ops"
    with pytest.raises(InvalidArgument) as refused:
        servicer.UpdateEndpoint(
            pb.UpdateEndpointRequest(
                account_id="acme", endpoint_id=endpoint_id, event_types=["balance.low"]
            ),
            CONTEXT,
        )
    assert refused.value.field == "set_event_types"


def test_a_rotation_answers_when_the_old_secret_stops_signing(
    edge: tuple[NotificationsServicer, SteppedClock],
) -> None:
    servicer, clock = edge
    made = servicer.CreateEndpoint(pb.CreateEndpointRequest(account_id="acme", url=URL), CONTEXT)
    rotated = servicer.RotateEndpointSecret(
        pb.RotateEndpointSecretRequest(
            account_id="acme", endpoint_id=made.endpoint.endpoint_id, overlap_seconds=600
        ),
        CONTEXT,
    )
    assert rotated.secret != made.secret
    assert rotated.previous_secret_expire_time.ToMilliseconds() == clock.now_ms() + 600_000


def test_request_shape_errors_name_their_field(
    edge: tuple[NotificationsServicer, SteppedClock],
) -> None:
    servicer, clock = edge
    made = servicer.CreateEndpoint(pb.CreateEndpointRequest(account_id="acme", url=URL), CONTEXT)
    endpoint_id = made.endpoint.endpoint_id
    with pytest.raises(InvalidArgument) as refused:
        servicer.ListDeliveries(
            pb.ListDeliveriesRequest(
                account_id="acme",
                endpoint_id=endpoint_id,
                state=cast(pb.DeliveryState.ValueType, 99),
            ),
            CONTEXT,
        )
    assert refused.value.field == "state"
    with pytest.raises(InvalidArgument) as refused:
        servicer.ReplayFailedDeliveries(
            pb.ReplayFailedDeliveriesRequest(account_id="acme", endpoint_id=endpoint_id), CONTEXT
        )
    assert refused.value.field == "since_time"
    since = Timestamp()
    since.FromMilliseconds(clock.now_ms() - 60_000)
    replayed = servicer.ReplayFailedDeliveries(
        pb.ReplayFailedDeliveriesRequest(
            account_id="acme", endpoint_id=endpoint_id, since_time=since
        ),
        CONTEXT,
    )
    assert replayed.replayed_count == 0
    listed = servicer.ListDeliveries(
        pb.ListDeliveriesRequest(
            account_id="acme", endpoint_id=endpoint_id, state=pb.DELIVERY_STATE_FAILED
        ),
        CONTEXT,
    )
    assert list(listed.deliveries) == []
